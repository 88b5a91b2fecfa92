import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALLOWLIST_FILE, Allowlist } from '../main/engine/allowlist/allowlist.js';
import { type AtomicWriteFs, realAtomicFs } from '../main/engine/store/atomic-write.js';
import { StoreWriteError } from '../main/engine/store/store-errors.js';
import { killAndWait, sleep } from './helpers/processes.js';
import { tempDir } from './helpers/store-fixtures.js';

const linux = process.platform === 'linux';

describe('allowlist storage', () => {
  let dataDir: string;
  let apps: string;
  const cleanups: (() => void)[] = [];
  beforeEach(() => {
    const d = tempDir('iw-allow-data-');
    const a = tempDir('iw-allow-apps-');
    cleanups.push(d.cleanup, a.cleanup);
    dataDir = d.dir;
    apps = a.dir;
  });
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  it('an entry by path survives a restart (a new Allowlist from the same data folder)', async () => {
    const tool = join(apps, 'render-worker');
    copyFileSync('/bin/sleep', tool);
    const first = await Allowlist.load(dataDir);
    const entry = await first.add({ exe: tool, reason: 'my render farm', note: 'runs at night' });
    expect(entry).toMatchObject({
      exe: tool,
      sha256: null,
      args: null,
      reason: 'my render farm',
      note: 'runs at night',
    });

    const second = await Allowlist.load(dataDir);
    expect(second.problems).toEqual([]);
    expect(second.list()).toEqual([entry]);
    expect(await second.matches({ exe: tool, cmdline: `${tool} 30` })).toEqual(entry);
    expect(JSON.parse(readFileSync(join(dataDir, ALLOWLIST_FILE), 'utf8'))).toEqual({ version: 1, entries: [entry] });

    expect(await second.remove(entry.id)).toBe(true);
    expect(await second.remove(entry.id)).toBe(false);
    expect((await Allowlist.load(dataDir)).list()).toEqual([]);
  });

  it('adding the same rule twice keeps one entry', async () => {
    const list = await Allowlist.load(dataDir);
    const a = await list.add({ exe: '/opt/app/bin/app' });
    const b = await list.add({ exe: '/opt/app/bin/app' });
    expect(b.id).toBe(a.id);
    expect(list.list()).toHaveLength(1);
  });

  it('a symlinked path is stored as the real file, the path the OS reports for the process', async () => {
    const real = join(apps, 'blender-4.1');
    copyFileSync('/bin/sleep', real);
    symlinkSync(real, join(apps, 'blender'));
    const list = await Allowlist.load(dataDir);
    const e = await list.add({ exe: join(apps, 'blender') });
    expect(e.exe).toBe(real);
    expect(list.matchesSync({ exe: real, cmdline: 'blender' })?.id).toBe(e.id);
  });

  it('a corrupt allowlist.json is moved aside and reported; the allowlist starts empty', async () => {
    const file = join(dataDir, ALLOWLIST_FILE);
    writeFileSync(file, JSON.stringify({ version: 1, entries: [{ id: 'x', exe: 'chrome.exe', addedAt: 1 }] }));
    const list = await Allowlist.load(dataDir, { now: () => Date.parse('2025-01-02T03:04:05.006Z') });
    expect(list.list()).toEqual([]);
    expect(list.problems).toHaveLength(1);
    expect(list.problems[0]?.movedTo).toBe(`${file}.corrupt-20250102T030405006Z`);
    expect(list.problems[0]?.problem).toMatch(/^allowlist\.entries\[0\]\.exe must be the full path of the executable/);
  });

  it('a failed save leaves the file and the allowlist as they were', async () => {
    const good = await Allowlist.load(dataDir);
    await good.add({ exe: '/opt/a/a' });
    const before = readFileSync(join(dataDir, ALLOWLIST_FILE), 'utf8');
    const fullDisk: AtomicWriteFs = {
      ...realAtomicFs,
      writeNew: async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const list = await Allowlist.load(dataDir, { fs: fullDisk });
    const err = await list.add({ exe: '/opt/b/b' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreWriteError);
    expect((err as Error).message).toBe(
      'could not save allowlist.json: the disk is full (ENOSPC); the previous version is unchanged',
    );
    expect(list.list().map((e) => e.exe)).toEqual(['/opt/a/a']);
    expect(readFileSync(join(dataDir, ALLOWLIST_FILE), 'utf8')).toBe(before);
  });
});

describe.skipIf(!linux)('allowlist against real running processes', () => {
  const children: ChildProcess[] = [];
  const cleanups: (() => void)[] = [];
  let dataDir = '';
  let apps = '';
  let tmp = '';
  beforeAll(() => {
    [dataDir, apps, tmp] = ['iw-allow-live-data-', 'iw-allow-live-apps-', 'iw-allow-live-tmp-'].map((prefix) => {
      const t = tempDir(prefix);
      cleanups.push(t.cleanup);
      return t.dir;
    }) as [string, string, string];
  });
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    for (const c of cleanups) c();
  });

  async function run(path: string): Promise<{ pid: number; exe: string; cmdline: string }> {
    const child = spawn(path, ['30'], { stdio: 'ignore' });
    children.push(child);
    await sleep(100);
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { pid: child.pid ?? -1, exe: readlinkSync(`/proc/${child.pid}/exe`), cmdline };
  }

  it('covers the allowlisted binary, not a renamed copy of it in a temp folder', async () => {
    mkdirSync(join(apps, 'bin'));
    const tool = join(apps, 'bin', 'gpu-render');
    copyFileSync('/bin/sleep', tool);
    const list = await Allowlist.load(dataDir);
    const entry = await list.add({ exe: tool, pinHash: true, reason: 'renders' });

    const real = await run(tool);
    expect(await list.matches(real)).toEqual(entry);

    const copy = join(tmp, 'kworker');
    copyFileSync(tool, copy);
    const disguised = await run(copy);
    expect(await list.matches(disguised)).toBeNull();
    expect(await list.check(disguised)).toEqual({ covered: false, why: `no allowlist entry for ${copy}` });
  });

  it('a process whose executable was deleted is never covered', async () => {
    const tool = join(apps, 'vanishing');
    copyFileSync('/bin/sleep', tool);
    const list = await Allowlist.load(dataDir);
    await list.add({ exe: tool });
    const proc = await run(tool);
    expect(await list.matches(proc)).not.toBeNull();
    rmSync(tool);
    const gone = { exe: readlinkSync(`/proc/${proc.pid}/exe`), cmdline: proc.cmdline };
    expect(gone.exe).toBe(`${tool} (deleted)`);
    expect(list.matchesSync(gone)).toBeNull();
    expect(await list.check(gone)).toEqual({
      covered: false,
      why: `its executable was deleted from disk (${tool} (deleted)); a deleted file cannot be verified, so no entry covers it`,
    });
  });
});
