/**
 * A synthetic day of monitoring, streamed sample by sample (never the whole trace in memory):
 * a person who works, leaves for lunch and goes home; ~300 processes, with system daemons that
 * live all day, desktop apps, and short-lived work (compilers, shells, cron jobs) starting and
 * exiting all the time; and a few miners that start while the user is away, at known times.
 * Deterministic (seeded), so the expected incidents are known in advance.
 */
import type { TraceConn, TraceHeader, TraceProc, TraceSample, UserState } from '../shared/trace.js';

export interface DaySegment {
  kind: 'active' | 'away' | 'locked';
  /** Start, seconds from the start of the trace; a segment lasts until the next one starts. */
  fromSec: number;
}

export interface DayMiner {
  pid: number;
  name: string;
  exe: string;
  cmdline: string;
  /** Lives from..to (seconds). */
  fromSec: number;
  toSec: number;
  kind: 'gpu' | 'cpu';
  /** Load while the user is away; 0 while they are at the machine when `hidesOnActivity`. */
  level: number;
  hidesOnActivity: boolean;
  conns?: TraceConn[];
}

export interface DayPlan {
  hours: number;
  intervalMs: number;
  cpuCores: number;
  idleThresholdSec: number;
  segments: DaySegment[];
  miners: DayMiner[];
  /** Long-lived system processes (quiet, a little noise). */
  daemons: number;
  /** Average number of short-lived processes alive while the user works (fewer while away). */
  churn: number;
  seed: number;
}

const H = 3600;

/** The 24-hour day of issue 7: night, morning work, lunch, afternoon work, evening away. */
export function dayPlan24h(): DayPlan {
  return {
    hours: 24,
    intervalMs: 1000,
    cpuCores: 8,
    idleThresholdSec: 60,
    segments: [
      { kind: 'locked', fromSec: 0 }, // asleep
      { kind: 'active', fromSec: 7.5 * H },
      { kind: 'away', fromSec: 12 * H }, // lunch
      { kind: 'active', fromSec: 13 * H },
      { kind: 'away', fromSec: 18.5 * H },
      { kind: 'locked', fromSec: 18.75 * H },
    ],
    miners: [
      {
        pid: 900_001,
        name: 'nvhelper',
        exe: '/home/ana/.cache/.nv/nvhelper',
        cmdline: '/home/ana/.cache/.nv/nvhelper --quiet',
        fromSec: 2 * H,
        toSec: 5 * H,
        kind: 'gpu',
        level: 95,
        hidesOnActivity: true,
        conns: [{ proto: 'tcp', remote: '198.51.100.7:3333', state: 'ESTABLISHED' }],
      },
      {
        pid: 900_002,
        name: 'kworkerds',
        exe: '/tmp/.X11-unix/.x/kworkerds',
        cmdline: '/tmp/.X11-unix/.x/kworkerds --donate-level 1 -o stratum+tcp://pool.example.net:3333',
        fromSec: 12 * H + 5 * 60,
        toSec: 23 * H,
        kind: 'cpu',
        level: 700,
        hidesOnActivity: true,
      },
      {
        pid: 900_003,
        name: 'sysupd',
        exe: '/usr/local/bin/.sysupd (deleted)',
        cmdline: '/usr/local/bin/.sysupd',
        fromSec: 20.5 * H,
        toSec: 21.5 * H,
        kind: 'cpu',
        level: 390,
        hidesOnActivity: true,
      },
    ],
    daemons: 240,
    churn: 60,
    seed: 7,
  };
}

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Live {
  pid: number;
  name: string;
  exe: string | null;
  cmdline: string;
  ppid: number;
  startT: number;
  /** Exits at this t (ms). */
  toT: number;
  /** CPU while the user works / while away. */
  cpuActive: number;
  cpuAway: number;
  gpuActive?: number;
  announced: boolean;
  conns?: TraceConn[];
  miner?: DayMiner;
}

const WORK = [
  ['cc1', '/usr/lib/gcc/x86_64-linux-gnu/13/cc1'],
  ['node', '/usr/bin/node'],
  ['bash', '/usr/bin/bash'],
  ['git', '/usr/bin/git'],
  ['python3', '/usr/bin/python3'],
  ['rustc', '/home/ana/.cargo/bin/rustc'],
  ['make', '/usr/bin/make'],
] as const;
const CRON = [
  ['run-parts', '/usr/bin/run-parts'],
  ['logrotate', '/usr/sbin/logrotate'],
  ['apt-check', '/usr/lib/update-notifier/apt-check'],
  ['man-db', '/usr/bin/mandb'],
] as const;

export interface DayCounts {
  samples: number;
  processesSeen: number;
  maxAlive: number;
}

/**
 * The header, then every sample, lazily. `counts` is filled as the stream goes (so a caller can
 * report how many processes came and went without keeping them).
 */
export function* synthesizeDay(
  plan: DayPlan,
  counts: DayCounts = { samples: 0, processesSeen: 0, maxAlive: 0 },
): Generator<TraceHeader | TraceSample> {
  const rand = rng(plan.seed);
  const header: TraceHeader = {
    format: 'idlewatch-trace',
    version: 1,
    startedAt: '2026-11-26T00:00:00.000Z',
    intervalMs: plan.intervalMs,
    idleThresholdSec: plan.idleThresholdSec,
    host: {
      platform: 'linux',
      cpuCores: plan.cpuCores,
      gpus: [{ id: '0', vendor: 'nvidia', name: 'NVIDIA GeForce RTX 3080', memoryMiB: 10240 }],
    },
  };
  yield header;

  const alive = new Map<number, Live>();
  const add = (p: Omit<Live, 'announced'>) => {
    alive.set(p.pid, { ...p, announced: false });
    counts.processesSeen++;
  };
  add({
    pid: 1,
    name: 'systemd',
    exe: '/usr/lib/systemd/systemd',
    cmdline: '/sbin/init',
    ppid: 0,
    startT: -86_400_000,
    toT: Infinity,
    cpuActive: 0,
    cpuAway: 0,
  });
  for (let i = 0; i < plan.daemons; i++) {
    const pid = 100 + i;
    add({
      pid,
      name: `daemon${i}`,
      exe: i % 10 === 0 ? null : `/usr/lib/daemons/daemon${i}`, // a few kernel threads
      cmdline: i % 10 === 0 ? '' : `/usr/lib/daemons/daemon${i} --system`,
      ppid: 1,
      startT: -86_400_000 + i * 1000,
      toT: Infinity,
      cpuActive: i % 17 === 0 ? 0.5 : 0,
      cpuAway: i % 17 === 0 ? 0.3 : 0,
    });
  }
  add({
    pid: 2000,
    name: 'Xorg',
    exe: '/usr/lib/xorg/Xorg',
    cmdline: '/usr/lib/xorg/Xorg :0',
    ppid: 1,
    startT: -80_000_000,
    toT: Infinity,
    cpuActive: 3,
    cpuAway: 0,
    gpuActive: 8,
  });
  add({
    pid: 2001,
    name: 'firefox',
    exe: '/usr/lib/firefox/firefox',
    cmdline: '/usr/lib/firefox/firefox',
    ppid: 1,
    startT: -80_000_000,
    toT: Infinity,
    cpuActive: 12,
    cpuAway: 0.5,
  });

  const total = plan.hours * H * 1000;
  const segs = [...plan.segments].sort((a, b) => a.fromSec - b.fromSec);
  let seg = 0;
  // Input last seen: the night started before the trace (the user left at 23:00 the day before).
  let lastInputT = -H * 1000;
  let nextPid = 10_000;
  const pendingMiners = [...plan.miners].sort((a, b) => a.fromSec - b.fromSec);

  for (let t = 0; t <= total; t += plan.intervalMs) {
    while (seg + 1 < segs.length && t >= segs[seg + 1]!.fromSec * 1000) seg++;
    const kind = segs[seg]?.kind ?? 'active';
    if (kind === 'active') lastInputT = t;
    const idleSec = Math.round((t - lastInputT) / 1000);
    const state: UserState =
      kind === 'locked' ? 'locked' : kind === 'active' || idleSec < plan.idleThresholdSec ? 'active' : 'idle';
    const away = state !== 'active';
    const working = kind === 'active';

    // Exits.
    for (const [pid, p] of alive) if (t >= p.toT) alive.delete(pid);
    // Miners appear at their times.
    while (pendingMiners.length > 0 && t >= pendingMiners[0]!.fromSec * 1000) {
      const m = pendingMiners.shift()!;
      add({
        pid: m.pid,
        name: m.name,
        exe: m.exe,
        cmdline: m.cmdline,
        ppid: 1,
        startT: t,
        toT: m.toSec * 1000,
        cpuActive: 0,
        cpuAway: 0,
        ...(m.conns ? { conns: m.conns } : {}),
        miner: m,
      });
    }
    // Churn: short-lived work while the user works, cron-like jobs otherwise.
    const target = working ? plan.churn : plan.churn / 6;
    const lifeSec = working ? 60 : 8;
    const births = target / lifeSec; // expected starts per second keep `target` alive on average
    let n = Math.floor(births) + (rand() < births - Math.floor(births) ? 1 : 0);
    for (; n > 0; n--) {
      const pick = working ? WORK[Math.floor(rand() * WORK.length)]! : CRON[Math.floor(rand() * CRON.length)]!;
      const life = Math.max(1, Math.round(-Math.log(1 - rand()) * lifeSec)) * 1000;
      add({
        pid: nextPid++,
        name: pick[0],
        exe: pick[1],
        cmdline: `${pick[1]} job-${nextPid}`,
        ppid: working ? 2001 : 1,
        startT: t,
        toT: t + life,
        cpuActive: working ? 20 + Math.round(rand() * 80) : 0,
        // Cron-like jobs: mostly waiting on disk, now and then a few seconds of real work.
        cpuAway: working || rand() < 0.8 ? 0 : Math.round(rand() * 15),
      });
    }
    counts.maxAlive = Math.max(counts.maxAlive, alive.size);

    const procs: TraceProc[] = [];
    let cpuSum = 0;
    let gpuUtil = 0;
    for (const p of alive.values()) {
      const e: TraceProc = { pid: p.pid };
      if (!p.announced) {
        p.announced = true;
        e.ppid = p.ppid;
        e.name = p.name;
        e.exe = p.exe;
        e.cmdline = p.cmdline;
        e.user = p.pid < 2000 ? 'root' : 'ana';
        e.startT = p.startT;
        if (p.conns) e.conns = p.conns;
      }
      let cpu = away ? p.cpuAway : p.cpuActive;
      let gpu = away ? 0 : (p.gpuActive ?? 0);
      const m = p.miner;
      if (m) {
        const on = away || !m.hidesOnActivity;
        const wobble = (rand() - 0.5) * 0.04 * m.level;
        if (m.kind === 'gpu') {
          gpu = on ? Math.min(100, Math.round(m.level + wobble)) : 0;
          cpu = on ? 4 : 0;
        } else {
          cpu = on ? Math.round(m.level + wobble) : 0;
        }
      } else if (cpu > 0) {
        cpu = Math.round(cpu * (0.5 + rand()) * 10) / 10; // ordinary software is not flat
      }
      if (cpu > 0) e.cpu = cpu;
      if (gpu > 0) e.gpu = gpu;
      cpuSum += cpu;
      gpuUtil = Math.max(gpuUtil, gpu);
      procs.push(e);
    }
    const user: TraceSample['user'] = { state, idleSec };
    counts.samples++;
    yield {
      t,
      user,
      system: {
        cpu: Math.min(100, Math.round((cpuSum / plan.cpuCores) * 10) / 10),
        gpus: [{ id: '0', util: gpuUtil, memUsedMiB: null }],
      },
      procs,
    };
  }
}
