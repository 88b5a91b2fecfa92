/**
 * `idlewatch fix` and `idlewatch quarantine list|restore|delete` as a user runs them: the built CLI
 * against a fake root (--root) with its data folder in a temp XDG_DATA_HOME.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuarantineListing } from '../shared/quarantine.js';
import type { ScanReport } from '../shared/scan.js';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const linux = process.platform === 'linux';
const base = mkdtempSync(join(tmpdir(), 'iw-cli-quarantine-'));

beforeAll(() => {
  requireBuiltCli();
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
const BASHRC = '# ~/.bashrc\nexport PATH="$HOME/bin:$PATH"\nnohup /var/tmp/.cache/xmr >/dev/null 2>&1 &\n';

function setup(): { root: string; xdg: string; bashrc: string; env: NodeJS.ProcessEnv; id: string } {
  const dir = join(base, `t${n++}`);
  const root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  const bashrc = join(root, 'home/alice/.bashrc');
  mkdirSync(dirname(bashrc), { recursive: true });
  writeFileSync(bashrc, BASHRC, { mode: 0o640 });
  const xdg = join(dir, 'xdg');
  const env = { ...process.env, XDG_DATA_HOME: xdg, HOME: join(dir, 'home'), PATH: '/usr/bin:/bin', DISPLAY: '' };
  return { root, xdg, bashrc, env, id: `persistence:${bashrc}:3` };
}

function cli(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 90_000, input: '' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function list(env: NodeJS.ProcessEnv, root: string): QuarantineListing {
  const r = cli(['quarantine', 'list', '--json', '--root', root], env);
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as QuarantineListing;
}

describe.skipIf(!linux)('idlewatch fix and quarantine', () => {
  it('fixes a persistence finding from a fresh scan, lists it, restores it byte for byte', () => {
    const { root, xdg, bashrc, env, id } = setup();
    const before = readFileSync(bashrc);

    // Not in a terminal and no --yes: nothing changes.
    const asked = cli(['fix', id, '--root', root], env);
    expect(asked.code).toBe(2);
    expect(asked.err).toContain(
      'idlewatch fix: fix needs --yes when it is not run in a terminal (nothing was changed)',
    );
    expect(readFileSync(bashrc).equals(before)).toBe(true);

    const fixed = cli(['fix', id, '--root', root, '--yes'], env);
    expect(fixed.err).toContain('Scanning again');
    expect(fixed.code).toBe(0);
    const m =
      /^removed line 3 of (.+); the file as it was is in the quarantine as (\S+) \(undo: idlewatch quarantine restore \2\)\n$/.exec(
        fixed.out,
      );
    expect(m?.[1]).toBe(bashrc);
    const qid = m?.[2] as string;
    expect(readFileSync(bashrc, 'utf8')).toBe('# ~/.bashrc\nexport PATH="$HOME/bin:$PATH"\n');
    expect(statSync(join(xdg, 'idlewatch/quarantine')).mode & 0o777).toBe(0o700);

    const listing = list(env, root);
    expect(listing.problems).toEqual([]);
    expect(listing.items).toHaveLength(1);
    expect(listing.items[0]).toMatchObject({
      id: qid,
      kind: 'line',
      category: 'shell-rc',
      path: bashrc,
      line: { number: 3, text: 'nohup /var/tmp/.cache/xmr >/dev/null 2>&1 &' },
      by: { via: 'cli' },
      findingId: id,
    });
    const table = cli(['quarantine', 'list', '--root', root], env);
    expect(table.out).toContain(qid);
    expect(table.out).toContain('shell-rc line');
    expect(table.out).toContain('line: nohup /var/tmp/.cache/xmr');

    // Fixing again: the fresh scan no longer has the finding.
    const again = cli(['fix', id, '--root', root, '--yes'], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`the scan just run has no finding ${id}`);

    const restored = cli(['quarantine', 'restore', qid], env);
    expect(restored.code).toBe(0);
    expect(restored.out).toBe(`line 3 is back in ${bashrc}, with its mode, owner and times\n`);
    expect(readFileSync(bashrc).equals(before)).toBe(true);
    expect(statSync(bashrc).mode & 0o777).toBe(0o640);
    expect(list(env, root).items).toEqual([]);

    const twice = cli(['quarantine', 'restore', qid], env);
    expect(twice.code).toBe(1);
    expect(twice.err).toBe(`idlewatch: no quarantine item "${qid}"\n`);
  }, 120_000);

  it('refuses a restore over a file edited since, and deletes for good only with --yes', () => {
    const { root, bashrc, env, id } = setup();
    expect(cli(['fix', id, '--root', root, '--yes'], env).code).toBe(0);
    const qid = list(env, root).items[0]?.id as string;
    writeFileSync(bashrc, '# edited by the user\n');
    const refused = cli(['quarantine', 'restore', qid], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      `idlewatch: ${bashrc} changed since Idlewatch removed line 3; restoring would overwrite those changes, so nothing was restored\n`,
    );
    expect(readFileSync(bashrc, 'utf8')).toBe('# edited by the user\n');

    const asked = cli(['quarantine', 'delete', qid], env);
    expect(asked.code).toBe(2);
    expect(list(env, root).items.map((i) => i.id)).toEqual([qid]);
    const deleted = cli(['quarantine', 'delete', qid, '--yes'], env);
    expect(deleted.code).toBe(0);
    expect(deleted.out).toBe(`deleted ${qid} for good\n`);
    expect(list(env, root).items).toEqual([]);
  }, 120_000);

  it('imports an older Idlewatch backup on list, and says what is wrong in one line', () => {
    const { root, bashrc, env } = setup();
    const original = readFileSync(bashrc, 'utf8');
    writeFileSync(bashrc, '# ~/.bashrc\nexport PATH="$HOME/bin:$PATH"\n');
    const backup = join(dirname(bashrc), '..bashrc.idlewatch-backup-20250102T030405678Z');
    writeFileSync(backup, original, { mode: 0o600 });
    const listing = list(env, root);
    expect(existsSync(backup)).toBe(false);
    expect(listing.items).toMatchObject([
      { kind: 'line', path: bashrc, importedFrom: backup, line: { number: 3 }, at: '2025-01-02T03:04:05.678Z' },
    ]);
    expect(cli(['quarantine', 'restore', listing.items[0]?.id as string], env).code).toBe(0);
    expect(readFileSync(bashrc, 'utf8')).toBe(original);

    expect(cli(['quarantine'], env)).toMatchObject({
      code: 2,
      err: expect.stringContaining('which one: list, restore ID or delete ID?'),
    });
    expect(cli(['quarantine', 'restore'], env).err).toContain('quarantine restore needs the item');
    expect(cli(['quarantine', 'list', '--root', join(root, 'nope')], env)).toMatchObject({
      code: 2,
      err: expect.stringContaining('is not a folder'),
    });
    expect(cli(['fix'], env)).toMatchObject({ code: 2, err: expect.stringContaining('no FINDING_ID given') });
    expect(cli(['help', 'fix'], env).out).toContain('runs a fresh deep scan');
  }, 120_000);

  it('ends a program run from a user-writable folder and quarantines it, from a fresh scan; restore brings it back', async () => {
    const { root, env } = setup();
    const dir = join(root, 'home/alice/.cache');
    mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) chownSync(dir, 1000, 1000);
    else chmodSync(dir, 0o777);
    const exe = join(dir, 'kworkerd');
    copyFileSync('/bin/sleep', exe);
    chmodSync(exe, 0o755);
    const original = readFileSync(exe);
    const child = spawn(exe, ['600'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const scan = spawnSync(process.execPath, [CLI, 'scan', '--json', '--root', root], {
        env,
        encoding: 'utf8',
        timeout: 90_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      const report = JSON.parse(scan.stdout) as ScanReport;
      const finding = report.findings.find(
        (f) => f.process?.pid === child.pid && f.actions.some((a) => a.kind === 'kill-quarantine'),
      );
      if (!finding) throw new Error(`no finding with kill-and-quarantine for pid ${child.pid}`);
      expect(scan.stdout.length).toBeGreaterThan(0);

      const fixed = cli(['fix', finding.id, '--root', root, '--yes'], env);
      expect(fixed.err).toBe('Scanning again, so the fix acts on the machine as it is now…\n');
      expect(fixed.code).toBe(0);
      expect(fixed.out).toMatch(
        new RegExp(
          `^process ${child.pid} \\(kworkerd\\) exited after SIGTERM[^;]*; .* is in the quarantine as (\\S+) \\(undo: idlewatch quarantine restore \\1\\)\\n$`,
        ),
      );
      await exited;
      expect(existsSync(exe)).toBe(false);
      const item = list(env, root).items[0];
      expect(item).toMatchObject({ kind: 'executable', category: 'executable', path: exe, findingId: finding.id });
      expect(cli(['quarantine', 'restore', item?.id as string], env).code).toBe(0);
      expect(readFileSync(exe).equals(original)).toBe(true);
      expect(statSync(exe).mode & 0o777).toBe(0o755);
    } finally {
      child.kill('SIGKILL');
    }
  }, 240_000);
});
