/**
 * Removing a persistence line when the file was replaced after the scan by something hostile: a
 * link to /dev/zero, a FIFO, a 2 GB sparse file, a folder. The removal must refuse at once, write
 * nothing (nothing kept in the quarantine, no temp file) and leave the thing as it is. A dotfile kept as a link into a
 * dotfiles folder is the normal case and must still be edited, the link kept.
 */
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RemoveResult, ScanFinding } from '../shared/scan.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { QuarantineStore } from '../main/engine/quarantine/store.js';
import { removePersistenceEntry } from '../main/engine/scan/persistence-remove.js';

const linux = process.platform === 'linux';
const BASHRC = '# ~/.bashrc\nexport PATH="$HOME/bin:$PATH"\nnohup /var/tmp/.cache/xmr >/dev/null 2>&1 &\n';
const base = mkdtempSync(join(tmpdir(), 'iw-remove-hostile-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;

/** A root whose alice has the miner line in .bashrc; the scan's finding for it. */
async function scanned(): Promise<{ root: string; bashrc: string; finding: ScanFinding }> {
  const root = join(base, `m${n++}`);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  const bashrc = join(root, 'home/alice/.bashrc');
  mkdirSync(dirname(bashrc), { recursive: true });
  writeFileSync(bashrc, BASHRC);
  const report = await runDeepScan({ root, dataDir: root, steps: ['persistence'], hiddenProbe: false });
  const finding = report.findings.find((f) => f.persistence?.file === bashrc);
  if (!finding) throw new Error('the scan did not report the miner line');
  return { root, bashrc, finding };
}

/** The removal's result, or a failure of the test after 10 s instead of a hung test run. */
async function removeWithin(finding: ScanFinding): Promise<{ result: RemoveResult; ms: number }> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    QuarantineStore.open(join(base, `data${n++}`)).then((quarantine) =>
      removePersistenceEntry(finding, { confirm: true, quarantine }),
    ),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the removal did not finish within 10 s')), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  return { result, ms: performance.now() - t0 };
}

/** Nothing was written beside the file: no temp file. */
function onlyThere(dir: string, names: string[]): void {
  expect(readdirSync(dir).sort()).toEqual([...names].sort());
}

describe.skipIf(!linux)('removing a line from a file replaced by something hostile', () => {
  it('refuses a .bashrc that became a link to /dev/zero, reading nothing from it', async () => {
    const { bashrc, finding } = await scanned();
    rmSync(bashrc);
    symlinkSync('/dev/zero', bashrc);
    const { result, ms } = await removeWithin(finding);
    expect(result).toEqual({
      ok: false,
      code: 'changed',
      reason: `${bashrc} leads to /dev/zero, which is a character device, not a file; nothing was removed`,
    });
    expect(ms).toBeLessThan(2000);
    expect(readlinkSync(bashrc)).toBe('/dev/zero');
    onlyThere(dirname(bashrc), ['.bashrc']);
  });

  it('refuses a .bashrc that became a FIFO, without blocking on it', async () => {
    const { bashrc, finding } = await scanned();
    rmSync(bashrc);
    expect(spawnSync('mkfifo', [bashrc]).status).toBe(0);
    const { result, ms } = await removeWithin(finding);
    expect(result).toMatchObject({ ok: false, code: 'changed' });
    expect((result as { reason: string }).reason).toBe(
      `${bashrc} is a named pipe (FIFO), not a file; nothing was removed`,
    );
    expect(ms).toBeLessThan(2000);
    expect(lstatSync(bashrc).isFIFO()).toBe(true);
    onlyThere(dirname(bashrc), ['.bashrc']);
  });

  it('refuses a .bashrc that became a 2 GB sparse file, without reading it', async () => {
    const { bashrc, finding } = await scanned();
    truncateSync(bashrc, 2 * 1024 ** 3);
    const { result, ms } = await removeWithin(finding);
    expect(result).toMatchObject({ ok: false, code: 'changed' });
    expect((result as { reason: string }).reason).toBe(
      `${bashrc} is 2.0 GB, too large to check (the limit is 1 MB); nothing was removed`,
    );
    expect(ms).toBeLessThan(2000);
    expect(lstatSync(bashrc).size).toBe(2 * 1024 ** 3);
    onlyThere(dirname(bashrc), ['.bashrc']);
  });

  it('refuses a .bashrc that became a folder', async () => {
    const { bashrc, finding } = await scanned();
    rmSync(bashrc);
    mkdirSync(bashrc);
    const { result } = await removeWithin(finding);
    expect(result).toEqual({
      ok: false,
      code: 'changed',
      reason: `${bashrc} is a folder where a file should be; nothing was removed`,
    });
    expect(lstatSync(bashrc).isDirectory()).toBe(true);
    onlyThere(dirname(bashrc), ['.bashrc']);
  });

  it('edits the file a dotfiles link points to, and keeps the link', async () => {
    const root = join(base, `m${n++}`);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
    const real = join(root, 'home/alice/dotfiles/bashrc');
    mkdirSync(dirname(real), { recursive: true });
    writeFileSync(real, BASHRC);
    const bashrc = join(root, 'home/alice/.bashrc');
    symlinkSync('dotfiles/bashrc', bashrc);
    const report = await runDeepScan({ root, dataDir: root, steps: ['persistence'], hiddenProbe: false });
    const finding = report.findings.find((f) => f.persistence?.file === bashrc) as ScanFinding;
    expect(finding?.persistence?.line).toBe(3);
    const { result } = await removeWithin(finding);
    expect(result).toMatchObject({ ok: true, file: real, line: 3 });
    expect(readlinkSync(bashrc)).toBe('dotfiles/bashrc');
    expect(readFileSync(real, 'utf8')).toBe('# ~/.bashrc\nexport PATH="$HOME/bin:$PATH"\n');
  });
});
