// Targets of scripts/build.mjs that a test runs built (the engine entry, the preload, the renderer,
// the CLI), rebuilt when missing or older than their sources: the test is about the built entry,
// and a stale one would prove nothing about the sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../captured.js';

/** What scripts/build.mjs writes. */
export const OUT = join(REPO_ROOT, 'out');

/** The newest modification time of the files under `dirs` (recursively, relative to the repo), in ms. */
function newest(dirs: string[]): number {
  let t = 0;
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== 'node_modules') walk(join(p, e));
    } else t = Math.max(t, st.mtimeMs);
  };
  for (const d of dirs) walk(join(REPO_ROOT, d));
  return t;
}

/** Builds `target` when out/`output` is missing or older than the newest file under `sources`. */
export function ensureBuilt(target: string, output: string, sources: string[]): void {
  const file = join(OUT, output);
  if (existsSync(file) && statSync(file).mtimeMs >= newest(sources)) return;
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs'), target], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build ${target} failed:\n${r.stdout}${r.stderr}`);
}
