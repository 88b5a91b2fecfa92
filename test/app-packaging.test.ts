// electron-builder.yml, the build script and the shell agree on names and paths.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ID, PRODUCT_NAME } from '../main/app/app-info.js';

const REPO = resolve(import.meta.dirname, '..');
const yml = readFileSync(resolve(REPO, 'electron-builder.yml'), 'utf8');
const build = readFileSync(resolve(REPO, 'scripts/build.mjs'), 'utf8');
const pathsTs = readFileSync(resolve(REPO, 'main/app/paths.ts'), 'utf8');

/** The list items under a top-level (or two-space-indented) key. */
function list(key: string): string[] {
  const m = new RegExp(`^( *)${key}:\\s*\\n((?:\\1  - .*\\n)+)`, 'm').exec(yml);
  if (!m) return [];
  return (m[2] as string)
    .trim()
    .split('\n')
    .map((l) => l.replace(/^\s*- /, '').replace(/^"|"$/g, ''));
}

describe('packaging', () => {
  it('uses the app id the shell gives Windows notifications', () => {
    expect(/^appId: (\S+)/m.exec(yml)?.[1]).toBe(APP_ID);
    expect(/^productName: (.+)$/m.exec(yml)?.[1]).toBe(PRODUCT_NAME);
  });

  it('packs every build output the shell loads, and unpacks the tray icons', () => {
    const files = list('files');
    for (const dir of ['main', 'engine', 'preload', 'renderer']) expect(files).toContain(`out/${dir}/**`);
    expect(files).toContain('assets/tray/**');
    expect(list('asarUnpack')).toContain('assets/tray/**');
    // Paths the shell loads (paths.ts) are those build.mjs writes; app-startup.test.ts loads them.
    expect(pathsTs).toContain("join(out, 'engine', 'index.js')");
    expect(pathsTs).toContain("join(out, 'preload', 'index.cjs')");
    expect(build).toMatch(
      /engine: \(\) => build\(nodeTarget\(\{ entry: 'main\/app\/engine-process\.ts', outDir: 'engine', fileName: 'index\.js' \}\)\)/,
    );
    expect(build).toMatch(/const defaults = \[[^\]]*'engine'[^\]]*\]/);
  });

  it('targets AppImage and deb without a hard tray-library dependency, NSIS with an .ico, dmg', () => {
    expect(yml).toMatch(/^linux:\n(?: {2}.*\n)*? {2}target: \[AppImage, deb\]/m);
    expect(yml).toMatch(/^linux:\n(?: {2}.*\n)*? {2}category: System/m);
    const depends = list('depends');
    expect(depends.length).toBeGreaterThan(0);
    expect(depends.filter((d) => /appindicator/i.test(d))).toEqual([]);
    expect(yml).toMatch(/^win:\n {2}target: \[nsis\]\n {2}icon: assets\/icon\.ico/m);
    expect(yml).toMatch(/^mac:\n {2}target: \[dmg\]/m);
  });

  it('keeps the fuses', () => {
    for (const fuse of [
      'runAsNode: false',
      'enableNodeOptionsEnvironmentVariable: false',
      'enableNodeCliInspectArguments: false',
      'enableEmbeddedAsarIntegrityValidation: true',
      'onlyLoadAppFromAsar: true',
    ]) {
      expect(yml).toContain(`  ${fuse}`);
    }
  });
});
