// Where the engine process's time goes, stage by stage: `npm run bench -- --split` installs these
// wrappers in the measured process. Each stage's wall time is summed (on a quiet machine, wall time
// of synchronous code is its CPU time); stages nest, so an outer stage includes its inner ones.
// Garbage collection comes from V8's own GC events (main-thread pauses only).
import { PerformanceObserver } from 'node:perf_hooks';
import { Detector } from '../main/engine/detect/detector.js';
import { History } from '../main/engine/history.js';
import { LinuxConnTracker, LinuxCpuCollector, LinuxProcsCollector } from '../main/engine/platform/linux/index.js';
import { Monitor } from '../main/engine/monitor.js';
import { Sampler } from '../main/engine/sampler.js';
import { EngineService } from '../main/engine/service/engine-service.js';
import { TraceEncoder } from '../main/engine/trace/trace-encoder.js';
import { ProcStreamEncoder } from '../shared/proc-stream.js';

interface Stage {
  ms: number;
  calls: number;
}

const stages = new Map<string, Stage>();
let gcMs = 0;
let gcCount = 0;
let counting = false;

function wrap(label: string, proto: object, method: string): void {
  const target = proto as Record<string, unknown>;
  const original = target[method];
  if (typeof original !== 'function') throw new Error(`cost split: ${label} has no method ${method}`);
  const stage: Stage = { ms: 0, calls: 0 };
  stages.set(label, stage);
  target[method] = function (this: unknown, ...args: unknown[]) {
    if (!counting) return (original as (...a: unknown[]) => unknown).apply(this, args);
    const t0 = performance.now();
    try {
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } finally {
      stage.ms += performance.now() - t0;
      stage.calls++;
    }
  };
}

/** Installs the wrappers; `port` is the engine's IPC send, wrapped by the caller's own function. */
export function installCostSplit(): void {
  wrap('sampler tick (all of it, listeners included)', Sampler.prototype, 'collect');
  wrap('  process pass (full or hot)', LinuxProcsCollector.prototype, 'collect');
  wrap('    of which hot passes', LinuxProcsCollector.prototype, 'hotPass');
  wrap('  system CPU', LinuxCpuCollector.prototype, 'sample');
  wrap('  connections', LinuxConnTracker.prototype, 'update');
  wrap('  history', History.prototype, 'push');
  wrap('  monitor (listeners)', Monitor.prototype, 'onSample');
  wrap('    trace encoder', TraceEncoder.prototype, 'sample');
  wrap('    detector', Detector.prototype, 'push');
  wrap('    service: per-tick work and the stream', EngineService.prototype, 'onSample');
  wrap('      stream encoding', ProcStreamEncoder.prototype, 'encode');
  const obs = new PerformanceObserver((list) => {
    if (!counting) return;
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
}

/** Wraps a function (the IPC send) as one more stage. */
export function timed<A extends unknown[], R>(label: string, fn: (...a: A) => R): (...a: A) => R {
  const stage: Stage = { ms: 0, calls: 0 };
  stages.set(label, stage);
  return (...a: A) => {
    if (!counting) return fn(...a);
    const t0 = performance.now();
    try {
      return fn(...a);
    } finally {
      stage.ms += performance.now() - t0;
      stage.calls++;
    }
  };
}

export function startCounting(): void {
  counting = true;
}

/** Milliseconds of each stage per second of the run, and per call. */
export function costSplit(wallSec: number): { stage: string; msPerSec: number; calls: number; msPerCall: number }[] {
  counting = false;
  const out = [...stages].map(([stage, s]) => ({
    stage,
    msPerSec: s.ms / wallSec,
    calls: s.calls,
    msPerCall: s.calls ? s.ms / s.calls : 0,
  }));
  out.push({
    stage: 'garbage collection (main-thread pauses)',
    msPerSec: gcMs / wallSec,
    calls: gcCount,
    msPerCall: gcCount ? gcMs / gcCount : 0,
  });
  return out;
}
