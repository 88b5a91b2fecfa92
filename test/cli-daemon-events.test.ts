// `idlewatch daemon --events` as built: a real miner-shaped process becomes an incident-opened
// event on stdout (`--events -`) and in a JSON-lines file, as whole JSON lines with the schema's
// fields, while the log stays on stderr; SIGTERM still stops it within 2 s and says what was sent;
// misused options are one line with exit 2.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdlewatchEvent } from '../main/engine/events/schema.js';
import { exitOf, killAndWait, waitFor } from './helpers/processes.js';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const linux = process.platform === 'linux';

describe.skipIf(!linux)('idlewatch daemon --events', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-daemon-events-'));
  const children: ChildProcess[] = [];
  beforeAll(() => {
    requireBuiltCli();
  });
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the incident of a miner to stdout as JSON lines (and the log to stderr); SIGTERM stops it in 2 s', {
    timeout: 120_000,
  }, async () => {
    // A copy of sh in a hidden cache folder, busy, naming a mining pool: raised on sight.
    const hidden = join(dir, 'home', '.cache', '.n');
    mkdirSync(hidden, { recursive: true });
    const exe = join(hidden, 'kthreadd\u001b[8m');
    copyFileSync('/bin/sh', exe);
    const miner = spawn(exe, ['-c', 'while :; do :; done', 'x', '-o', 'stratum+tcp://pool.example:3333'], {
      stdio: 'ignore',
    });
    children.push(miner);

    const daemon = spawn(
      process.execPath,
      [CLI, 'daemon', '--data-dir', join(dir, 'data'), '--interval', '500', '--events', '-'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(daemon);
    let out = '';
    let log = '';
    daemon.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    daemon.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const events = (): IdlewatchEvent[] =>
      out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as IdlewatchEvent);
    await waitFor(
      () => events().some((e) => e.event.action === 'incident-opened' && e.process?.pid === miner.pid),
      90_000,
      `the miner's incident on stdout; log: ${log}`,
    );
    expect(log).toContain('events: to stdout');
    // stdout is only events: every line whole, printable ASCII JSON.
    expect(out.endsWith('\n')).toBe(true);
    for (const line of out.split('\n').filter(Boolean)) expect(line).toMatch(/^\{"@timestamp":"[\x20-\x7e]+\}$/);
    const opened = events().find((e) => e.event.action === 'incident-opened' && e.process?.pid === miner.pid);
    expect(opened).toMatchObject({
      event: { kind: 'alert', module: 'idlewatch' },
      process: { name: 'kthreadd\u001b[8m', executable: exe },
      idlewatch: { schema_version: 1 },
    });
    expect(opened?.idlewatch.incident?.rules).toContain('miner-signature');

    const t0 = Date.now();
    daemon.kill('SIGTERM');
    expect(await exitOf(daemon)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(log).toMatch(new RegExp(`events: ${events().length} sent, 0 dropped\\n`));
  });

  it('writes to a JSON-lines file, warns of a syslog socket that is not there, and says what is wrong with its options in one line (exit 2)', {
    timeout: 180_000,
  }, async () => {
    const file = join(dir, 'events.jsonl');
    const daemon = spawn(process.execPath, [CLI, 'daemon', '--data-dir', join(dir, 'data2'), '--events', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(daemon);
    let log = '';
    daemon.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    // The log lines arrive as they are written: wait for the last one of the start.
    await waitFor(() => log.includes(`events: to file ${file}`), 60_000, `the daemon to start: ${log}`);
    expect(existsSync(file)).toBe(true);
    daemon.kill('SIGTERM');
    expect(await exitOf(daemon)).toBe(0);
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .every((l) => JSON.parse(l)),
    ).toBe(true);

    // A syslog socket that is not there: said at start, not first noticed at a dropped incident.
    const none = join(dir, 'none.sock');
    const quiet = spawn(
      process.execPath,
      [CLI, 'daemon', '--data-dir', join(dir, 'data4'), '--events', 'syslog', '--syslog-socket', none],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(quiet);
    let quietLog = '';
    quiet.stderr?.on('data', (d: Buffer) => {
      quietLog += d.toString();
    });
    await waitFor(() => quietLog.includes('events: warning'), 60_000, `the daemon to start: ${quietLog}`);
    expect(quietLog).toContain(`events: to syslog (${none}, facility daemon)`);
    expect(quietLog).toContain(`events: warning: ${none} does not exist (is a syslog daemon running?)`);
    quiet.kill('SIGTERM');
    expect(await exitOf(quiet)).toBe(0);

    for (const [args, message] of [
      [
        ['--events', 'syslog', '--syslog-facility', 'kern'],
        '--syslog-facility: unknown syslog facility "kern" (one of user, daemon,',
      ],
      [['--syslog-facility', 'local0'], '--syslog-facility goes with --events syslog or journald'],
      [['--events', '-', '--syslog-socket', '/run/x'], '--syslog-socket goes with --events syslog'],
      [['--events', join(dir, 'nowhere', 'e.jsonl')], `folder ${join(dir, 'nowhere')} does not exist`],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'daemon', '--data-dir', join(dir, 'data3'), ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
    }
  });
});
