import { describe, expect, it } from 'vitest';
import type { EngineProc, SampleSummary } from '../../../shared/engine-types.js';
import type { IdlewatchApi } from '../../../shared/ipc.js';
import { ProcStreamEncoder } from '../../../shared/proc-stream.js';
import { setApi } from '../api.js';
import { liveSample, setLiveVisible, useLive, watchProcs } from './live.js';

const summary = (at: number): SampleSummary => ({
  at,
  user: { state: 'active', idleSec: 0, source: null },
  system: { cpu: 1, cores: 2 },
  gpus: [],
  unreadable: 0,
  tickMs: 1,
  procCount: 2,
});

const proc = (pid: number, cpu: number): EngineProc => ({
  pid,
  ppid: 1,
  startTimeMs: 1_700_000_000_000 + pid,
  name: `p${pid}`,
  exe: `/usr/bin/p${pid}`,
  cmdline: `/usr/bin/p${pid}`,
  user: 'ana',
  cpu,
  gpu: null,
  gpuMemMiB: null,
  gpuId: null,
  rssKiB: null,
});

const flush = () => new Promise((r) => setTimeout(r, 0));

/**
 * The window's side of the process stream (the engine's side is in test/proc-stream.test.ts): what
 * it asks the engine for, and how it recovers when the stream breaks or the engine restarts.
 */
describe('the live store and the process stream', () => {
  it('subscribes while a screen shows processes and the window is visible, and resubscribes after a break', async () => {
    const calls: boolean[] = [];
    // The transport edge only: the engine's answers to engine:procs.
    const streamProcs = async (on: boolean): Promise<boolean> => {
      calls.push(on);
      return on;
    };
    setApi({ streamProcs } as unknown as IdlewatchApi);
    const engine = new ProcStreamEncoder();

    watchProcs(1);
    expect(calls).toEqual([true]);
    await flush();
    liveSample({ sample: summary(1000), sources: [], procs: engine.encode([proc(1, 0), proc(2, 5)]) });
    expect(useLive.getState().procs?.map((p) => [p.pid, p.cpu])).toEqual([
      [1, 0],
      [2, 5],
    ]);
    liveSample({ sample: summary(2000), sources: [], procs: engine.encode([proc(1, 0), proc(2, 7)]) });
    expect(useLive.getState().procs?.map((p) => p.cpu)).toEqual([0, 7]);

    // A message lost on the way: the next one does not follow, the window asks for a keyframe.
    engine.encode([proc(1, 0), proc(2, 9)]);
    liveSample({ sample: summary(4000), sources: [], procs: engine.encode([proc(1, 1), proc(2, 9)]) });
    expect(calls).toEqual([true, true]);
    await flush();
    engine.reset();
    liveSample({ sample: summary(5000), sources: [], procs: engine.encode([proc(1, 1), proc(2, 9)]) });
    expect(useLive.getState().procs?.map((p) => p.cpu)).toEqual([1, 9]);
    expect(useLive.getState().latest?.at).toBe(5000);

    // Hidden: no stream; shown again: a new subscription.
    setLiveVisible(false);
    expect(calls).toEqual([true, true, false]);
    setLiveVisible(true);
    expect(calls).toEqual([true, true, false, true]);
    await flush();

    // The last screen that lists processes went away: unsubscribed, and samples without processes
    // are then expected (no resubscription).
    watchProcs(-1);
    expect(calls.at(-1)).toBe(false);
    await flush();
    const n = calls.length;
    liveSample({ sample: summary(9000), sources: [], procs: null });
    expect(calls.length).toBe(n);
  });
});
