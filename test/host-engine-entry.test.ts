// The real engine process entry (main/app/engine-process.ts, as scripts/build.mjs bundles it) with
// the real EngineService, in a forked Node process standing in for Electron's utility process: a
// small shim gives it the `process.parentPort` Electron would. Proves the entry opens the service
// in the data folder it is given, says ready, answers, streams samples, and stops cleanly.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineClient } from '../main/engine/host/engine-client.js';
import { bundleEngineEntry, forkEngineChild } from './helpers/host-engine-child.js';
import type { EventContract } from '../shared/ipc.js';

let dir = '';
let shim = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  ({ dir, shim } = await bundleEngineEntry('iw-entry-'));
}, 60_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('engine-process entry', () => {
  it('runs the engine service off the main process and stops on request', async () => {
    const dataDir = join(dir, 'data');
    const exits: (number | null)[] = [];
    const c = new EngineClient({
      readyTimeoutMs: 30_000,
      spawn: () => {
        const { process: cp, child } = forkEngineChild(shim, { IDLEWATCH_DATA_DIR: dataDir });
        children.push(cp);
        cp.on('exit', (code) => exits.push(code));
        return child;
      },
    });
    const channels = new Set<string>();
    c.onEvent((channel) => channels.add(channel));
    c.start();
    await vi.waitFor(() => expect(c.isReady).toBe(true), { timeout: 30_000 });
    expect(c.restarts).toEqual([]);
    const status = await c.invoke('engine:status', []);
    expect(status.dataDir).toBe(dataDir);
    expect(status.error).toBeNull();
    c.sendIdle({ idleSec: 3, state: 'active' });
    await vi.waitFor(() => expect(channels.has('engine:sample')).toBe(true), { timeout: 15_000 });
    const snap = await c.invoke('engine:snapshot', []);
    expect(snap.latest?.procCount).toBeGreaterThan(0);
    // Processes come through the stream once the window subscribes: a keyframe naming them.
    const pids = new Set<number>();
    c.onEvent((channel, payload) => {
      if (channel !== 'engine:sample') return;
      for (const s of (payload as EventContract['engine:sample']).procs?.ids ?? []) pids.add(s.pid);
    });
    expect(await c.invoke('engine:procs', [true])).toBe(true);
    await vi.waitFor(() => expect(pids.has(children[0]?.pid ?? -1)).toBe(true), { timeout: 15_000 });
    await expect(c.invoke('process:kill', [{ pid: 0, startTimeMs: 0 }])).rejects.toThrow(/pid is positive/);
    await c.stop();
    expect(exits).toEqual([0]);
  }, 60_000);
});
