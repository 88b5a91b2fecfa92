// The desktop app and the daemon share one data folder without fighting. The app's real engine
// process entry (main/app/engine-process.ts, bundled, in a forked Node process with the parentPort
// Electron would give it) next to the real built daemon: while the daemon samples, the app's
// engine does not, says who does, and lists the incidents the daemon records; when the daemon
// stops, the app's engine takes the sampler over; while the app samples, a daemon refuses (75).
import { type ChildProcess, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineClient } from '../main/engine/host/engine-client.js';
import { bundleEngineEntry, forkEngineChild } from './helpers/host-engine-child.js';
import { killAndWait, spawnHiddenSleeper, waitFor } from './helpers/processes.js';
import { CLI, requireBuiltCli, startDaemon } from './helpers/built-cli.js';

let dir = '';
let shim = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  requireBuiltCli();
  ({ dir, shim } = await bundleEngineEntry('iw-applock-'));
}, 60_000);

afterAll(async () => {
  await Promise.all(children.map(killAndWait));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform !== 'linux')('the app and the daemon on one data folder', () => {
  it('the app waits while the daemon samples, shows its incidents, and takes over when it stops', async () => {
    const dataDir = join(dir, 'data');
    // Something for the daemon to record at once: a program running from a hidden cache folder.
    const helper = spawnHiddenSleeper(dir, '.x', 'helperd');
    children.push(helper);

    const d = startDaemon(['--data-dir', dataDir, '--interval', '500']);
    const daemon = d.child;
    children.push(daemon);
    await waitFor(() => d.log().includes('incident raised: low helperd'), 30_000, `the daemon's incident: ${d.log()}`);

    const c = new EngineClient({
      readyTimeoutMs: 30_000,
      spawn: () => {
        const { process: cp, child } = forkEngineChild(shim, { IDLEWATCH_DATA_DIR: dataDir });
        children.push(cp);
        return child;
      },
    });
    const channels = new Set<string>();
    c.onEvent((channel) => channels.add(channel));
    c.start();
    await vi.waitFor(() => expect(c.isReady).toBe(true), { timeout: 30_000 });
    const waiting = await c.invoke('engine:status', []);
    expect(waiting.error).toBe(
      `The Idlewatch daemon (pid ${daemon.pid}) is monitoring this machine with this data folder: this window shows the incidents it records, and monitoring here starts when it stops.`,
    );
    // The daemon's incident, from the history file it writes.
    const listed = await c.invoke('incidents:list', [{}]);
    expect(listed.some((i) => i.name === 'helperd' && i.pid === helper.pid && !i.live)).toBe(true);
    // It does not sample meanwhile: no samples, and the lock is still the daemon's.
    channels.clear();
    await new Promise((r) => setTimeout(r, 2000));
    expect(channels.has('engine:sample')).toBe(false);
    expect((JSON.parse(readFileSync(join(dataDir, 'sampler.lock'), 'utf8')) as { pid: number }).pid).toBe(daemon.pid);

    // The daemon stops: the app's engine takes over within a poll (5 s) and samples.
    daemon.kill('SIGTERM');
    await waitFor(() => daemon.exitCode !== null, 5000, 'the daemon to stop');
    await vi.waitFor(async () => expect((await c.invoke('engine:status', [])).error).toBeNull(), {
      timeout: 20_000,
      interval: 500,
    });
    const engineProc = children.at(-1)!;
    const lock = JSON.parse(readFileSync(join(dataDir, 'sampler.lock'), 'utf8')) as { pid: number; owner: string };
    expect(lock).toEqual(expect.objectContaining({ pid: engineProc.pid, owner: 'app' }));
    await vi.waitFor(() => expect(channels.has('engine:sample')).toBe(true), { timeout: 15_000 });

    // Now the app samples: a daemon refuses, naming it.
    const refused = spawnSync(process.execPath, [CLI, 'daemon', '--data-dir', dataDir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(refused.status).toBe(75);
    expect(refused.stderr).toContain(`the Idlewatch app (pid ${engineProc.pid}) is already monitoring`);

    await c.stop();
    expect(existsSync(join(dataDir, 'sampler.lock'))).toBe(false);
  }, 120_000);
});
