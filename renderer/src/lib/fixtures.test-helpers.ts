/** Builders of engine objects for the renderer's unit tests. */
import type { EngineProc } from '../../../shared/engine-types.js';
import type { IncidentView } from '../../../shared/ipc.js';

export function incident(over: Partial<IncidentView> = {}): IncidentView {
  const pid = over.pid ?? 100;
  const startT = over.startT ?? 1_700_000_000_000;
  return {
    pid,
    startT,
    name: 'nvhelper',
    exe: '/tmp/.x/nvhelper',
    cmdline: '/tmp/.x/nvhelper --donate-level 1',
    user: 'me',
    severity: 'high',
    score: 0.9,
    firstAt: 1_700_000_100_000,
    lastAt: 1_700_000_200_000,
    reasons: [{ rule: 'gpu-while-idle', detail: 'GPU 95% for 22 s while idle 75 s' }],
    idleGpuSec: 20,
    idleCpuSec: 1,
    allowlisted: false,
    key: `${pid}@${startT}`,
    reviewed: false,
    live: true,
    running: true,
    paused: false,
    ...over,
  };
}

export function proc(over: Partial<EngineProc> = {}): EngineProc {
  return {
    pid: 1,
    ppid: 0,
    name: 'p',
    exe: '/usr/bin/p',
    cmdline: '/usr/bin/p',
    user: 'me',
    startTimeMs: 1000,
    cpu: 0,
    gpu: null,
    gpuMemMiB: null,
    gpuId: null,
    rssKiB: null,
    ...over,
  };
}
