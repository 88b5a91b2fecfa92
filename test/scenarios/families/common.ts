/**
 * What every scenario family shares: a machine (host, sampling, idle threshold, background), a
 * day at the keyboard (active, away and locked stretches), and small constructors for the actors.
 */
import type { Platform } from '../../../shared/trace.js';
import type { BgBuilder, BgContext, Scale } from '../background/builder.js';
import { macBackground } from '../background/darwin.js';
import { linuxBackground } from '../background/linux.js';
import { winBackground } from '../background/win32.js';
import { type GpuKind, makeHost } from '../hosts.js';
import type {
  Actor,
  Exec,
  Expectation,
  Host,
  Label,
  Level,
  LoadSource,
  Noisy,
  SamplingPlan,
  ScenarioPlan,
  Span,
} from '../model.js';
import type { Rng } from '../prng.js';
import { type Timeline, TimelineBuilder } from '../timeline.js';

export interface Family {
  family: string;
  label: Label;
  /** How many seeded variants the corpus holds. */
  variants: number;
  build(rng: Rng, variant: number): { summary: string; plan: ScenarioPlan };
}

export interface SetupOptions {
  platform: Platform;
  gpu?: GpuKind;
  cores?: number;
  scale?: Scale;
  intervalMs?: number;
  thresholdSec?: number;
  collectsConns?: boolean;
  privileged?: boolean;
  /** Chance per sample of missing samples (stalls); default small. */
  gapP?: number;
}

export interface Setup {
  rng: Rng;
  host: Host;
  sampling: SamplingPlan;
  scale: Scale;
  tb: TimelineBuilder;
}

export function setup(rng: Rng, o: SetupOptions): Setup {
  const host = makeHost(rng.fork('host'), {
    platform: o.platform,
    ...(o.gpu ? { gpu: o.gpu } : {}),
    ...(o.cores ? { cores: o.cores } : {}),
    ...(o.collectsConns !== undefined ? { collectsConns: o.collectsConns } : {}),
    ...(o.privileged !== undefined ? { privileged: o.privileged } : {}),
  });
  const srng = rng.fork('sampling');
  // Windows collectors are slow (a CIM query per tick), so Windows recorders often sample every 2 s.
  const intervalMs =
    o.intervalMs ??
    (o.platform === 'win32'
      ? srng.weighted([
          [1000, 2],
          [2000, 1],
        ])
      : srng.weighted([
          [1000, 5],
          [2000, 1],
        ]));
  const thresholdSec =
    o.thresholdSec ??
    srng.weighted([
      [60, 6],
      [120, 3],
      [300, 1],
    ]);
  const scale =
    o.scale ??
    srng.weighted<Scale>([
      ['light', 2],
      ['normal', 5],
      ['heavy', 1],
    ]);
  return {
    rng,
    host,
    scale,
    sampling: {
      intervalMs,
      jitterMs: srng.range(2, 15),
      slowTickP: srng.range(0.002, 0.02),
      gapP: o.gapP ?? srng.pick([0, 0, 0.0005, 0.002]),
    },
    tb: new TimelineBuilder(rng.fork('user'), thresholdSec),
  };
}

/** An evening or night start time (UTC), seconds rounded as a recorder writes them. */
function startedAt(rng: Rng): string {
  const day = Date.UTC(2026, 0, 1) + rng.int(0, 330) * 86_400_000;
  return new Date(day + rng.int(17 * 3600, 23 * 3600) * 1000 + rng.int(0, 999)).toISOString();
}

export interface FinishOptions {
  startedAt?: string;
  /** The browser the background runs (a tab actor must be one of its renderers). */
  browser?: 'firefox' | 'chrome' | 'edge' | 'safari';
  desktop?: 'gnome' | 'kde';
  /** Apps the background must include (Steam for its shader workers, ...). */
  withApps?: string[];
  /** Background process keys an actor replaces (Defender's scan is MsMpEng.exe itself). */
  omit?: string[];
}

export function finish(s: Setup, timeline: Timeline, actors: Actor[], opts: FinishOptions = {}): ScenarioPlan {
  const brng = s.rng.fork('background');
  const bootMs = -brng.range(1800, 6 * 86_400) * 1000;
  const loginMs = bootMs + brng.range(20, Math.min(3600, -bootMs / 1000 - 600)) * 1000;
  const ctx: BgContext = { rng: brng, host: s.host, timeline, durationMs: timeline.durationMs, bootMs, loginMs };
  const withApps = opts.withApps ?? [];
  let bg: BgBuilder;
  if (s.host.platform === 'linux') {
    const browser =
      opts.browser === 'firefox' || opts.browser === 'chrome'
        ? opts.browser
        : brng.weighted<'firefox' | 'chrome' | 'none'>([
            ['firefox', 3],
            ['chrome', 3],
            ['none', 1],
          ]);
    bg = linuxBackground(ctx, {
      desktop:
        opts.desktop ??
        brng.weighted([
          ['gnome', 3],
          ['kde', 1],
        ]),
      browser,
      scale: s.scale,
      withApps,
    });
  } else if (s.host.platform === 'win32') {
    const browser =
      opts.browser === 'firefox' || opts.browser === 'chrome' || opts.browser === 'edge'
        ? opts.browser
        : brng.weighted<'chrome' | 'edge' | 'firefox'>([
            ['chrome', 3],
            ['edge', 2],
            ['firefox', 1],
          ]);
    bg = winBackground(ctx, { browser, scale: s.scale, withApps });
  } else {
    const browser =
      opts.browser === 'firefox' || opts.browser === 'chrome' || opts.browser === 'safari'
        ? opts.browser
        : brng.weighted<'chrome' | 'safari' | 'firefox'>([
            ['chrome', 3],
            ['safari', 2],
            ['firefox', 1],
          ]);
    bg = macBackground(ctx, { browser, scale: s.scale });
  }
  const omit = new Set(opts.omit ?? []);
  return {
    host: s.host,
    startedAt: opts.startedAt ?? startedAt(s.rng.fork('date')),
    durationMs: timeline.durationMs,
    sampling: s.sampling,
    timeline,
    background: bg.specs.filter((p) => !omit.has(p.key)),
    actors,
  };
}

export type AwayKind = 'away' | 'locked-manual' | 'locked-auto';

/**
 * A session: the person works, leaves (walks away, or locks the screen, or lets it auto-lock),
 * comes back, works a bit, maybe leaves again. Durations in seconds.
 */
export function session(
  s: Setup,
  o: {
    leadSec?: [number, number];
    awaySec?: [number, number];
    aways?: number;
    kinds?: AwayKind[];
    tailSec?: [number, number];
  } = {},
): Timeline {
  const r = s.rng.fork('session');
  const tb = s.tb;
  const lead = o.leadSec ?? [180, 600];
  const awaySec = o.awaySec ?? [600, 1500];
  const kinds = o.kinds ?? ['away', 'away', 'locked-manual', 'locked-auto'];
  const count =
    o.aways ??
    r.weighted([
      [1, 3],
      [2, 2],
    ]);
  tb.active(r.range(lead[0], lead[1]));
  for (let i = 0; i < count; i++) {
    const kind = r.pick(kinds);
    const sec = r.range(awaySec[0], awaySec[1]);
    if (kind === 'away') tb.away(sec);
    else if (kind === 'locked-manual') tb.locked(sec);
    else tb.locked(sec, { lockAfterSec: Math.min(sec * 0.6, r.pick([300, 600, tb.thresholdSec + 60])) });
    const tail = o.tailSec ?? [120, 420];
    tb.active(r.range(tail[0], tail[1]));
  }
  return tb.build();
}

export const noisy = (mean: number, sd = mean * 0.03): Noisy => ({ mean, sd });

/** A GPU miner at full tilt: the GPU pinned, one CPU thread feeding it, DAG/dataset in memory. */
export function gpuMining(rng: Rng, utilPct = rng.range(96, 99.5)): Level {
  return {
    gpu: noisy(utilPct, 1),
    cpu: noisy(rng.range(3, 14), 1.5),
    gpuMemMiB: rng.pick([2400, 3100, 4300, 4700, 5200]),
  };
}

/** A CPU miner on `threads` threads (RandomX: each thread a full core). */
export function cpuMining(threads: number, rng: Rng): Level {
  return { cpu: { mean: threads * rng.range(96, 99.5), sd: threads * 1.2 } };
}

export const END = 86_400_000;

/** A process alive for the whole recording, started some time before it. */
export function wholeTrace(rng: Rng, startedBeforeSec: [number, number] = [300, 20_000]): Span[] {
  return [{ from: -rng.range(startedBeforeSec[0], startedBeforeSec[1]) * 1000, to: END }];
}

/** Work windows of software that waits for idle: after `afterIdleSec` without input (+ a delay),
 * until `stopSec` after the return. */
export function idleWork(
  tl: Timeline,
  rng: Rng,
  o: { afterIdleSec: number; delaySec?: [number, number]; stopSec?: [number, number]; minRunSec?: number },
): Span[] {
  const delay = o.delaySec ?? [0, 0];
  const stop = o.stopSec ?? [1, 3];
  return tl.idleWindows(
    o.afterIdleSec,
    () => rng.range(delay[0], delay[1]),
    () => rng.range(stop[0], stop[1]),
    o.minRunSec ?? 10,
  );
}

export function spans(windows: Span[], level: Level, rampMs?: number): LoadSource {
  return { kind: 'spans', spans: windows.map((w) => ({ ...w, level, ...(rampMs ? { rampMs } : {}) })) };
}

export interface ActorInput {
  key: string;
  role: 'target' | 'lookalike';
  name: string;
  exe: string | null;
  cmdline: string;
  user: string | null;
  parent?: string;
  ppid?: number;
  lives: Span[];
  load: LoadSource[];
  gpuId?: string;
  gpuMemMiB?: number;
  conns?: { proto: string; remote: string; state: string }[];
  expect?: Expectation;
  execs?: Exec[];
  pauses?: Span[];
}

export function actor(a: ActorInput): Actor {
  return { ...a };
}

export function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Requests to a local model server: bursts of full GPU for a few seconds, at random times. */
export function requestBursts(
  rng: Rng,
  durationMs: number,
  perHour: number,
): { kind: 'spans'; spans: { from: number; to: number; level: Level }[] } {
  const out: { from: number; to: number; level: Level }[] = [];
  let t = rng.exp(3_600_000 / perHour);
  while (t < durationMs) {
    const dur = rng.range(2, 25) * 1000;
    out.push({ from: t, to: t + dur, level: { gpu: noisy(rng.range(85, 99), 3), cpu: noisy(rng.range(30, 110), 10) } });
    t += dur + rng.exp(3_600_000 / perHour);
  }
  return { kind: 'spans', spans: out };
}
