/**
 * The dependency arrows between the parts (engine, shell, CLI, contract, window) are enforced by
 * Biome's noRestrictedImports in biome.json. This runs the real Biome with the repository's real
 * configuration over planted files, in a copy of the folder layout, so a rule that stops matching
 * (a pattern typo, a Biome upgrade that changes glob semantics) fails here instead of silently
 * letting a forbidden import through.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './captured.js';

const root = mkdtempSync(join(tmpdir(), 'idlewatch-arrows-'));
copyFileSync(join(REPO_ROOT, 'biome.json'), join(root, 'biome.json'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** Lints one planted file; returns Biome's exit status and what it printed. */
function lint(where: string, source: string): { status: number | null; out: string } {
  const file = join(where, `probe${n++}.ts`);
  mkdirSync(join(root, dirname(file)), { recursive: true });
  writeFileSync(join(root, file), `${source}\nexport const used = [probe];\n`);
  const r = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'biome'), ['lint', file], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('forbidden import directions fail the lint', () => {
  it.each([
    ['main/engine', "import { probe } from '../app/tray.js';", /engine never imports the Electron shell/],
    ['main/engine/detect', "import { probe } from '../../cli/format.js';", /engine never imports the CLI/],
    ['main/engine', "import probe from 'react';", /engine never imports the window/],
    ['main/engine/scan', "import { probe } from '../../../renderer/src/api.js';", /engine never imports the window/],
    ['main/engine', "import { app as probe } from 'electron';", /only main\/app\/ may import electron/],
    ['main/cli', "import { app as probe } from 'electron';", /only main\/app\/ may import electron/],
    ['main/cli', "import { probe } from '../app/window.js';", /CLI never imports the Electron shell/],
    ['main/app', "import { probe } from '../cli/format.js';", /shell never imports the CLI/],
    ['renderer/src', "import { probe } from '../../main/engine/engine.js';", /window never imports the engine/],
    ['renderer/src/screens', "import { probe } from '../../../main/app/tray.js';", /window never imports the engine/],
    ['renderer/src', "import { readFileSync as probe } from 'node:fs';", /no Node or Electron modules/],
    ['shared', "import { probe } from '../main/engine/engine.js';", /contract \(shared\/\) depends on nothing/],
    ['shared', "import { readFileSync as probe } from 'node:fs';", /contract \(shared\/\) depends on nothing/],
    ['shared', "import probe from 'zustand';", /contract \(shared\/\) depends on nothing/],
    ['main/cli', "import { Engine as probe } from '../engine/engine.js';", /Deep import into the engine/],
    [
      'main/app',
      "import { EngineClient as probe } from '../engine/host/engine-client.js';",
      /Deep import into the engine/,
    ],
  ])('%s: %s', (where, source, message) => {
    const r = lint(where, source);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(message);
  });
});

describe('the allowed directions pass', () => {
  it.each([
    ['main/engine', "import { probe } from './platform/select.js';"],
    ['main/engine/detect', "import { probe } from '../../../shared/trace.js';"],
    ['main/cli', "import { probe } from '../engine/index.js';"],
    ['main/app', "import { probe } from '../engine/index.js';"],
    ['main/app', "import { app as probe } from 'electron';"],
    ['renderer/src', "import { probe } from '../../shared/ipc.js';"],
    ['renderer/src', "import probe from 'react';"],
    ['shared', "import * as probe from 'valibot';"],
    ['shared', "import { probe } from './trace.js';"],
  ])('%s: %s', (where, source) => {
    const r = lint(where, source);
    expect(r.out).not.toMatch(/noRestrictedImports/);
    expect(r.status).toBe(0);
  });
});
