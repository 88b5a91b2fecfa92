// `idlewatch daemon` as built, as a service manager runs it: one sampler per data folder (a second
// daemon refuses with 75 and names the holder; a dead holder's lock is taken over), SIGHUP re-reads
// settings.json (a bad file is reported and left in place, the running settings kept), SIGTERM
// ends it within 2 s and frees the lock, and option errors are one line with exit 2.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, killAndWait, spawnSleeper, waitFor } from './helpers/processes.js';
import { CLI, requireBuiltCli, startDaemon } from './helpers/built-cli.js';

describe('idlewatch daemon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-daemon-'));
  const children: ChildProcess[] = [];
  beforeAll(() => {
    requireBuiltCli();
  });
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds the data folder: a second daemon refuses (75); SIGHUP reloads settings, keeps them on a bad file; SIGTERM stops within 2 s', {
    timeout: 90_000,
  }, async () => {
    const data = join(dir, 'one');
    const d = startDaemon(['--data-dir', data, '--interval', '500']);
    children.push(d.child);
    await waitFor(() => d.log().includes('idlewatch daemon started'), 30_000, `the daemon to start: ${d.log()}`);
    expect(d.log()).toContain(`data folder ${data}, a sample every 500 ms`);
    const lock = JSON.parse(readFileSync(join(data, 'sampler.lock'), 'utf8')) as { pid: number; owner: string };
    expect(lock).toMatchObject({ pid: d.child.pid, owner: 'daemon' });

    const second = spawnSync(process.execPath, [CLI, 'daemon', '--data-dir', data], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(second.status).toBe(75);
    expect(second.stderr).toContain(
      `idlewatch daemon (pid ${d.child.pid}) is already monitoring with the data folder ${data}`,
    );

    // A valid change: put into effect, said in one line.
    const settings = join(data, 'settings.json');
    writeFileSync(settings, JSON.stringify({ version: 1, sensitivity: 'high', idleThresholdSec: 120 }));
    d.child.kill('SIGHUP');
    await waitFor(() => d.log().includes('settings reloaded'), 20_000, `the reload: ${d.log()}`);
    expect(d.log()).toMatch(/settings reloaded: a sample every 500 ms, away after 120 s, sensitivity high\n/);

    // A broken file: reported with its path, left where it is for the user to fix.
    writeFileSync(settings, '{"version": 1, "sensitivity": "hig');
    d.child.kill('SIGHUP');
    await waitFor(() => d.log().includes('settings not reloaded'), 20_000, `the refusal: ${d.log()}`);
    const line = d
      .log()
      .split('\n')
      .find((l) => l.includes('settings not reloaded'))!;
    expect(line).toContain(`the running ones are kept: ${settings}: the file is truncated`);
    expect(readFileSync(settings, 'utf8')).toBe('{"version": 1, "sensitivity": "hig');
    // Out of range: named.
    writeFileSync(settings, JSON.stringify({ version: 1, samplingIntervalMs: 5 }));
    d.child.kill('SIGHUP');
    await waitFor(() => d.log().split('settings not reloaded').length === 3, 20_000, `the second refusal: ${d.log()}`);
    expect(d.log()).toMatch(/settings not reloaded, the running ones are kept: .*samplingIntervalMs/);
    expect(d.log()).not.toContain('idlewatch: '); // no crash trace

    const t0 = Date.now();
    d.child.kill('SIGTERM');
    expect(await exitOf(d.child)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(d.log()).toMatch(/stopping\n.*stopped\n$/);
    expect(existsSync(join(data, 'sampler.lock'))).toBe(false);
  });

  it('takes over the lock of a holder that died', { timeout: 60_000 }, async () => {
    const data = join(dir, 'stale');
    mkdirSync(data, { recursive: true });
    const ghost = spawnSleeper();
    const pid = ghost.pid!;
    await killAndWait(ghost);
    writeFileSync(join(data, 'sampler.lock'), JSON.stringify({ pid, owner: 'app', start: '1', boot: null, since: 0 }));
    const d = startDaemon(['--data-dir', data]);
    children.push(d.child);
    await waitFor(() => d.log().includes('idlewatch daemon started'), 30_000, `the daemon to start: ${d.log()}`);
    expect((JSON.parse(readFileSync(join(data, 'sampler.lock'), 'utf8')) as { pid: number }).pid).toBe(d.child.pid);
    // Its lock removed by hand: it notices within its 5 s check, stops, and exits 1 so that its
    // service manager starts it again.
    unlinkSync(join(data, 'sampler.lock'));
    expect(await exitOf(d.child)).toBe(1);
    expect(d.log()).toContain(`error: the sampler lock ${join(data, 'sampler.lock')} was removed; stopping`);
  });

  it('says what is wrong with --metrics, and frees the lock when the port is taken', { timeout: 60_000 }, async () => {
    for (const [value, message] of [
      ['9464x', '--metrics "9464x": the port must be a number from 0 to 65535'],
      ['example.com:9464', '"example.com" is not an IP address'],
      ['::1:9464', 'write an IPv6 address in brackets'],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'daemon', '--metrics', value], { encoding: 'utf8' });
      expect(r.status, value).toBe(2);
      expect(r.stderr).toContain(message);
    }
    for (const [args, message] of [
      [['--metrics', '9464', '--metrics-top', '0'], '--metrics-top must be a whole number from 1 to 50'],
      [['--metrics', '9464', '--metrics-top', '2.5'], '--metrics-top must be a whole number from 1 to 50'],
      [['--metrics-top', '5'], '--metrics-top goes with --metrics'],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'daemon', ...args], { encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const data = join(dir, 'busy');
      const r = spawnSync(process.execPath, [CLI, 'daemon', '--data-dir', data, '--metrics', `127.0.0.1:${port}`], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`could not serve metrics on 127.0.0.1:${port}: the port is in use`);
      expect(existsSync(join(data, 'sampler.lock'))).toBe(false);
    } finally {
      busy.close();
    }
  });
});
