/**
 * Turns a scenario plan into a trace v1 (`docs/trace-format.md`): one header line, then one
 * sample per tick listing every live process, identity fields only on a process's first sample,
 * `{"pid":N}` for processes that did nothing. Also returns the ground truth (which pids are the
 * miners, when they first loaded while the user was away).
 *
 * Everything random comes from the scenario's seed, so the same scenario always gives the same
 * bytes.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import {
  TRACE_FORMAT,
  TRACE_VERSION,
  type TraceHeader,
  type TraceProc,
  type TraceSample,
  type TraceSystemGpu,
} from '../../shared/trace.js';
import { displayGpu } from './hosts.js';
import type { GroundTruth, Host, Level, ProcSpec, SamplingPlan, Scenario, Span, TruthProc, WorkSpan } from './model.js';
import { Rng } from './prng.js';
import type { Timeline } from './timeline.js';

/** A load reading this high while the user is away counts as the miner working (ground truth). */
export const LOAD_THRESHOLD = 10;

interface Instance {
  spec: ProcSpec;
  life: Span;
  pid: number;
  ppid: number;
  startT: number;
  gpuId: string;
  /** Per load source: index of the first span that may still overlap (times only grow). */
  vendor: string;
  /** Identity as the recorder can read it (see visibleIdentity). */
  name: string;
  exe: string | null;
  cmdline: string;
  cursors: number[];
  actor: boolean;
  /** Execs within this life, in time order, as the recorder reads them; `execed` of them applied. */
  execs: { at: number; name: string; exe: string | null; cmdline: string }[];
  execed: number;
  /** Identities before the current one (for the ground truth). */
  was: { name: string; exe: string | null }[];
}

/** The sample times: a timer at the nominal interval, with jitter, slow ticks and the odd gap. */
export function sampleTimes(plan: SamplingPlan, durationMs: number, rng: Rng): number[] {
  const times: number[] = [];
  let nominal = 0;
  let last = -1;
  while (nominal <= durationMs) {
    const slow = rng.chance(plan.slowTickP) ? rng.range(80, plan.intervalMs * 0.8) : 0;
    const t = Math.max(last + 1, Math.round(nominal + Math.abs(rng.normal(0, plan.jitterMs)) + slow));
    times.push(t);
    last = t;
    nominal += plan.intervalMs;
    if (rng.chance(plan.gapP)) nominal += plan.intervalMs * rng.int(1, 12);
  }
  return times;
}

/** Pids as each platform hands them out: Linux and macOS count up (threads take numbers too,
 * hence the skips); Windows picks multiples of 4 (and reuses freed ones: see reuseWindowsPids). */
class PidAllocator {
  private next: number;
  private readonly used = new Set<number>();

  constructor(
    private readonly host: Host,
    private readonly rng: Rng,
  ) {
    this.next = host.platform === 'darwin' ? 80 : 3;
  }

  reserve(pid: number): void {
    this.used.add(pid);
  }

  take(beforeRecording: boolean): number {
    if (this.host.platform === 'win32') {
      for (;;) {
        const pid = 4 * this.rng.int(2, 12_000);
        if (!this.used.has(pid)) {
          this.used.add(pid);
          return pid;
        }
      }
    }
    const max = this.host.platform === 'darwin' ? 99_998 : 4_194_304;
    for (;;) {
      this.next += beforeRecording ? this.rng.int(1, 6) : this.rng.int(1, 40);
      if (this.next > max) this.next = 300;
      if (!this.used.has(this.next)) {
        this.used.add(this.next);
        return this.next;
      }
    }
  }

  /** Between boot and the recording, many short processes came and went. */
  skip(n: number): void {
    this.next += n;
  }
}

function overlap(a: number, b: number, from: number, to: number): number {
  return Math.max(0, Math.min(b, to) - Math.max(a, from));
}

/** Time switched "on" within [a, b) for a duty cycle starting at `start`. */
function dutyOn(a: number, b: number, start: number, onMs: number, offMs: number): number {
  const period = onMs + offMs;
  let on = 0;
  let cycle = Math.floor((a - start) / period);
  for (;;) {
    const cFrom = start + cycle * period;
    if (cFrom >= b) break;
    on += overlap(a, b, cFrom, cFrom + onMs);
    cycle++;
  }
  return on;
}

interface Acc {
  cpu: number;
  gpu: number;
  mem: number;
}

function addLevel(acc: Acc, level: Level, fraction: number, rng: Rng): void {
  if (fraction <= 0) return;
  if (level.cpu) acc.cpu += Math.max(0, rng.normal(level.cpu.mean, level.cpu.sd)) * fraction;
  if (level.gpu) acc.gpu += Math.max(0, rng.normal(level.gpu.mean, level.gpu.sd)) * fraction;
}

/** The load of one process over the interval (t - dt, t]. */
function loadOf(inst: Instance, t: number, dt: number, timeline: Timeline, rng: Rng): Acc {
  const a = Math.max(t - dt, inst.life.from);
  const b = Math.min(t, inst.life.to);
  const acc: Acc = { cpu: 0, gpu: 0, mem: inst.spec.gpuMemMiB ?? 0 };
  if (b <= a) return acc;
  const pauses = inst.spec.pauses;
  if (pauses) {
    const paused = pauses.reduce((n, p) => n + overlap(a, b, p.from, p.to), 0);
    if (paused > 0) {
      const rest = loadOf({ ...inst, spec: { ...inst.spec, pauses: undefined } }, t, dt, timeline, rng);
      const f = Math.max(0, 1 - paused / (b - a));
      return { cpu: rest.cpu * f, gpu: rest.gpu * f, mem: rest.mem };
    }
  }
  const alive = (b - a) / dt;
  const sources = inst.spec.load;
  for (let s = 0; s < sources.length; s++) {
    const src = sources[s]!;
    switch (src.kind) {
      case 'constant': {
        const level = src.level;
        const f = level.duty ? dutyOn(a, b, inst.life.from, level.duty.onMs, level.duty.offMs) / dt : alive;
        addLevel(acc, level, f, rng);
        acc.mem += level.gpuMemMiB ?? 0;
        break;
      }
      case 'presence': {
        const present = timeline.idleSec(t) < src.lingerSec;
        addLevel(acc, src.level, alive * (present ? 1 : src.awayFactor), rng);
        acc.mem += src.level.gpuMemMiB ?? 0;
        break;
      }
      case 'flicker':
        if (rng.chance(src.p)) acc.cpu += rng.range(src.cpu[0], src.cpu[1]) * alive;
        break;
      case 'spans': {
        const spans = src.spans;
        let i = inst.cursors[s] ?? 0;
        while (i < spans.length && spans[i]!.to <= a) i++;
        inst.cursors[s] = i;
        for (let j = i; j < spans.length; j++) {
          const span: WorkSpan = spans[j]!;
          if (span.from >= b) break;
          const ov = overlap(a, b, span.from, span.to);
          if (ov <= 0) continue;
          const mid = (Math.max(a, span.from) + Math.min(b, span.to)) / 2;
          const ramp = span.rampMs ? Math.min(1, Math.max(0.05, (mid - span.from) / span.rampMs)) : 1;
          const on = span.level.duty
            ? dutyOn(
                Math.max(a, span.from),
                Math.min(b, span.to),
                span.from,
                span.level.duty.onMs,
                span.level.duty.offMs,
              )
            : ov;
          addLevel(acc, span.level, (on / dt) * ramp, rng);
          acc.mem += (span.level.gpuMemMiB ?? 0) * ramp;
        }
        break;
      }
    }
  }
  return acc;
}

/**
 * Identity as the recorder reads it. Linux shows `comm`, the first 15 bytes of the program name
 * (kernel threads keep their longer workqueue names). Unprivileged, Linux denies another user's
 * /proc/PID/exe but not its command line; Windows' CIM gives neither path nor command line (the
 * collector falls back to the name); macOS `ps` shows everything.
 */
function visibleIdentity(spec: ProcSpec, host: Host): { name: string; exe: string | null; cmdline: string } {
  const name = host.platform === 'linux' && spec.exe !== null ? spec.name.slice(0, 15) : spec.name;
  const foreign = spec.user !== host.user;
  if (host.privileged || !foreign || host.platform === 'darwin') return { name, exe: spec.exe, cmdline: spec.cmdline };
  if (host.platform === 'linux') return { name, exe: null, cmdline: spec.cmdline };
  return { name, exe: null, cmdline: spec.name };
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/** CPU as each platform's collector reports it: Linux counts 10 ms clock ticks per interval, so
 * small loads flicker between 0 and 1%; Windows and macOS tools give one decimal. */
function reportCpu(host: Host, cpu: number, dt: number, rng: Rng): number {
  const capped = Math.min(cpu, host.cpuCores * 100);
  if (host.platform !== 'linux') return round1(capped);
  const ticks = Math.floor((capped / 100) * (dt / 10) + rng.next());
  return Math.min(host.cpuCores * 100, Math.round(((ticks * 1000) / dt) * 100) / 100);
}

export interface Generated {
  header: TraceHeader;
  /** The whole trace: header line plus one line per sample, each ending in \n. */
  text: string;
  truth: GroundTruth;
}

export function generate(scenario: Scenario): Generated {
  const { plan } = scenario;
  const { host, timeline } = plan;
  const rng = new Rng(`${scenario.seed}/trace`);
  const clockRng = rng.fork('clock');
  const pidRng = rng.fork('pids');
  const times = sampleTimes(plan.sampling, plan.durationMs, clockRng);

  // 1. One instance per process life, pids in start order.
  const specs = anchorToParents([...plan.background, ...plan.actors], rng.fork('parents'));
  const actorKeys = new Set(plan.actors.map((a) => a.key));
  const lives: { spec: ProcSpec; life: Span; order: number }[] = [];
  specs.forEach((spec, order) => {
    for (const life of spec.lives) if (life.to > 0 && life.from <= plan.durationMs) lives.push({ spec, life, order });
  });
  lives.sort((x, y) => x.life.from - y.life.from || x.order - y.order);
  const pids = new PidAllocator(host, pidRng);
  for (const s of specs) if (s.pid !== undefined) pids.reserve(s.pid);
  const instances: Instance[] = [];
  let skipped = false;
  for (const { spec, life } of lives) {
    if (!skipped && life.from >= 0) {
      pids.skip(pidRng.int(200, 20_000));
      skipped = true;
    }
    const gpuId = spec.gpuId ?? host.gpus[0]?.id ?? '0';
    instances.push({
      spec,
      life,
      pid: spec.pid ?? pids.take(life.from < 0),
      ppid: 0,
      // Linux start times come in 10 ms clock ticks.
      startT: Math.round(life.from / 10) * 10,
      gpuId,
      vendor: host.gpus.find((g) => g.id === gpuId)?.vendor ?? 'other',
      ...visibleIdentity(spec, host),
      cursors: [],
      actor: actorKeys.has(spec.key),
      execs: (spec.execs ?? [])
        .filter((e) => e.at > life.from && e.at < life.to)
        .sort((x, y) => x.at - y.at)
        .map((e) => ({
          at: e.at,
          ...visibleIdentity({ ...spec, name: e.name, exe: e.exe, cmdline: e.cmdline }, host),
        })),
      execed: 0,
      was: [],
    });
  }
  reuseWindowsPids(instances, host, pidRng);
  const byKey = new Map<string, Instance[]>();
  const root = host.platform === 'win32' ? 4 : 1;
  for (const inst of instances) {
    const { spec, life } = inst;
    inst.ppid = spec.ppid ?? root;
    if (spec.parent) {
      const parents = byKey.get(spec.parent) ?? [];
      const alive = parents.filter((p) => p.life.from <= life.from && life.from < p.life.to).pop();
      // Unix reparents orphans to init; Windows keeps the dead parent's pid.
      const parent = alive ?? (host.platform === 'win32' ? parents[parents.length - 1] : undefined);
      inst.ppid = parent?.pid ?? root;
    }
    const list = byKey.get(spec.key) ?? [];
    list.push(inst);
    byKey.set(spec.key, list);
  }

  // 2. The samples.
  const header: TraceHeader = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    startedAt: plan.startedAt,
    intervalMs: plan.sampling.intervalMs,
    idleThresholdSec: timeline.thresholdSec,
    host: { platform: host.platform, cpuCores: host.cpuCores, gpus: host.gpus },
  };
  const lines: string[] = [JSON.stringify(header)];
  const sorted = [...instances].sort((x, y) => x.life.from - y.life.from);
  let nextStart = 0;
  let live: Instance[] = [];
  let prev = new Map<number, number>();
  const first = new Map<Instance, number>();
  const gpuIds = host.gpus.map((g) => g.id);
  const displayId = displayGpu(host);
  const loadRng = rng.fork('load');
  let firstIdleLoadT: number | null = null;
  const away: Span[] = [];
  let awayFrom: number | null = null;
  let minProcs = Number.POSITIVE_INFINITY;
  let maxProcs = 0;

  for (let i = 0; i < times.length; i++) {
    const t = times[i]!;
    const dt = i === 0 ? plan.sampling.intervalMs : t - times[i - 1]!;
    let added = false;
    while (nextStart < sorted.length && sorted[nextStart]!.life.from <= t) {
      live.push(sorted[nextStart]!);
      nextStart++;
      added = true;
    }
    const before = live.length;
    live = live.filter((p) => p.life.to > t);
    if (added || live.length !== before) live.sort((x, y) => x.pid - y.pid);

    const state = timeline.state(t);
    const isAway = state === 'idle' || state === 'locked';
    if (isAway && awayFrom === null) awayFrom = t;
    if (!isAway && awayFrom !== null) {
      away.push({ from: awayFrom, to: t });
      awayFrom = null;
    }

    let sumCpu = 0;
    const gpuUtil = new Map<string, number>(gpuIds.map((id) => [id, 0]));
    const gpuMem = new Map<string, number>(gpuIds.map((id) => [id, 0]));
    const procs: TraceProc[] = new Array(live.length);
    const seen = new Map<number, number>();
    for (let k = 0; k < live.length; k++) {
      const inst = live[k]!;
      const load = loadOf(inst, t, dt, timeline, loadRng);
      const entry: TraceProc = { pid: inst.pid };
      // As the recorder does: the new identity goes out on the first sample after the exec.
      let execed = false;
      while (inst.execed < inst.execs.length && inst.execs[inst.execed]!.at <= t) {
        const e = inst.execs[inst.execed++]!;
        inst.was.push({ name: inst.name, exe: inst.exe });
        inst.name = e.name;
        inst.exe = e.exe;
        inst.cmdline = e.cmdline;
        execed = true;
      }
      if (execed) {
        entry.name = inst.name;
        entry.exe = inst.exe;
        entry.cmdline = inst.cmdline;
        entry.user = inst.spec.user;
      }
      if (prev.get(inst.pid) !== inst.startT) {
        entry.ppid = inst.ppid;
        entry.name = inst.name;
        entry.exe = inst.exe;
        entry.cmdline = inst.cmdline;
        entry.user = inst.spec.user;
        entry.startT = inst.startT;
        if (host.collectsConns && inst.spec.conns && inst.spec.conns.length > 0) entry.conns = inst.spec.conns;
      }
      seen.set(inst.pid, inst.startT);
      // The first sample has no previous reading to diff CPU time against: every process shows 0.
      const cpu = i === 0 ? 0 : reportCpu(host, load.cpu, dt, loadRng);
      if (cpu > 0) entry.cpu = cpu;
      sumCpu += cpu;
      const gpu = Math.min(100, load.gpu);
      gpuUtil.set(inst.gpuId, (gpuUtil.get(inst.gpuId) ?? 0) + gpu);
      gpuMem.set(inst.gpuId, (gpuMem.get(inst.gpuId) ?? 0) + load.mem);
      const vendor = inst.vendor;
      if (host.gpuPerProcess) {
        const shown = vendor === 'nvidia' ? Math.round(gpu) : round1(gpu);
        if (shown > 0) entry.gpu = shown;
        // Integrated GPUs share system memory: no dedicated figure per process.
        if (load.mem >= 1 && vendor !== 'intel') entry.gpuMemMiB = Math.round(load.mem);
      }
      procs[k] = entry;
      if (inst.actor) {
        if (!first.has(inst)) first.set(inst, t);
        // Judged on the figures as written, so the trace alone reproduces the ground truth.
        if (
          firstIdleLoadT === null &&
          inst.spec.role === 'target' &&
          isAway &&
          (cpu >= LOAD_THRESHOLD || (entry.gpu ?? 0) >= LOAD_THRESHOLD)
        ) {
          firstIdleLoadT = t;
        }
      }
    }
    prev = seen;
    minProcs = Math.min(minProcs, live.length);
    maxProcs = Math.max(maxProcs, live.length);

    const gpus: TraceSystemGpu[] = host.gpus.map((g) => {
      // Device totals see everything, including work no process row accounts for.
      const util = Math.min(100, (gpuUtil.get(g.id) ?? 0) + Math.abs(loadRng.normal(0, 0.6)));
      // The GPU that drives the screens holds the framebuffers even when nothing runs.
      const display = g.id === displayId;
      return {
        id: g.id,
        util: g.vendor === 'nvidia' ? Math.round(util) : round1(util),
        memUsedMiB: g.memoryMiB === null ? null : Math.round((display ? 180 : 4) + (gpuMem.get(g.id) ?? 0)),
      };
    });
    const user: TraceSample['user'] = timeline.unknown
      ? { state: 'unknown', idleSec: null }
      : { state, idleSec: Math.round(timeline.idleSec(t) * 1000) / 1000 };
    const inhibitors = timeline.inhibitorsAt(t);
    if (inhibitors.length > 0) user.inhibitors = inhibitors;
    // Interrupts, the kernel and the sampler itself: CPU no process row carries.
    const unattributed = Math.abs(loadRng.normal(0.4, 0.3));
    const sample: TraceSample = {
      t,
      user,
      system: { cpu: round1(Math.min(100, sumCpu / host.cpuCores + unattributed)), gpus },
      procs,
    };
    lines.push(JSON.stringify(sample));
  }
  if (awayFrom !== null) away.push({ from: awayFrom, to: (times[times.length - 1] ?? 0) + 1 });

  const truthOf = (role: 'target' | 'lookalike'): TruthProc[] =>
    instances
      .filter((inst) => inst.spec.role === role && first.has(inst))
      .map((inst) => ({
        key: inst.spec.key,
        role,
        pid: inst.pid,
        startT: inst.startT,
        name: inst.name,
        exe: inst.exe,
        ...(inst.was.length > 0 ? { was: inst.was.map((w) => ({ ...w })) } : {}),
      }));

  const truth: GroundTruth = {
    scenario: scenario.name,
    family: scenario.family,
    label: scenario.label,
    platform: host.platform,
    intervalMs: plan.sampling.intervalMs,
    samples: times.length,
    processes: { min: minProcs, max: maxProcs },
    targets: truthOf('target'),
    lookalikes: truthOf('lookalike'),
    firstIdleLoadT,
    awaySpans: away,
  };
  if (plan.nameCheck || instances.some((i) => i.spec.role === 'target' && i.was.length > 0)) truth.nameCheck = true;
  return { header, text: `${lines.join('\n')}\n`, truth };
}

/**
 * Windows hands a freed pid to the next process soon. Where a process started after another one
 * ended, give it that pid now and then, so identities must be keyed by pid and start time.
 */
function reuseWindowsPids(instances: Instance[], host: Host, rng: Rng): void {
  if (host.platform !== 'win32') return;
  const fixed = new Set(instances.filter((i) => i.spec.pid !== undefined).map((i) => i.pid));
  const ended = instances.filter((i) => i.life.to > 0 && !fixed.has(i.pid)).sort((x, y) => x.life.to - y.life.to);
  const taken = new Set<Instance>();
  for (const inst of [...instances].sort((x, y) => x.life.from - y.life.from)) {
    if (inst.life.from < 0 || fixed.has(inst.pid) || !rng.chance(0.3)) continue;
    const donor = ended.find(
      (d) =>
        !taken.has(d) &&
        d !== inst &&
        d.life.to <= inst.life.from &&
        inst.life.from - d.life.to < 120_000 &&
        // The donor's pid must be free for the whole of this new life.
        !instances.some((o) => o !== d && o.pid === d.pid && o.life.from < inst.life.to && inst.life.from < o.life.to),
    );
    if (!donor) continue;
    taken.add(donor);
    inst.pid = donor.pid;
  }
}

/**
 * A process cannot start before its parent. Plans draw start times before the recording loosely
 * ("opened this morning"), so a life that begins while no instance of its parent exists is moved
 * to just after the start of the parent instance that covers it.
 */
function anchorToParents(specs: ProcSpec[], rng: Rng): ProcSpec[] {
  const byKey = new Map(specs.map((s) => [s.key, s]));
  // Parents are found by key: two processes with one key would make that ambiguous.
  if (byKey.size !== specs.length) {
    const dup = specs.find((s, i) => specs.findIndex((o) => o.key === s.key) !== i);
    throw new Error(`two processes share the key "${dup?.key}"`);
  }
  const done = new Map<string, ProcSpec>();
  const fix = (spec: ProcSpec, depth: number): ProcSpec => {
    const known = done.get(spec.key);
    if (known) return known;
    const parentSpec = spec.parent ? byKey.get(spec.parent) : undefined;
    if (!parentSpec || depth > 20) {
      done.set(spec.key, spec);
      return spec;
    }
    const parent = fix(parentSpec, depth + 1);
    const lives = spec.lives.map((life) => {
      if (parent.lives.some((p) => p.from <= life.from && life.from < p.to)) return life;
      const cover = parent.lives.find((p) => p.from > life.from && p.from < life.to);
      return cover ? { from: cover.from + rng.range(50, 3000), to: life.to } : life;
    });
    const fixed = { ...spec, lives };
    done.set(spec.key, fixed);
    return fixed;
  };
  return specs.map((s) => fix(s, 0));
}

/** Writes the trace (gzip when the name ends in .gz) and returns its ground truth. */
export function writeScenario(scenario: Scenario, path: string, gzipLevel = 6): GroundTruth {
  const g = generate(scenario);
  writeFileSync(path, path.endsWith('.gz') ? gzipSync(g.text, { level: gzipLevel }) : g.text);
  return g.truth;
}
