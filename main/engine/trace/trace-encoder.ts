import type { EngineSample } from '../../../shared/engine-types.js';
import { identityChanged } from '../../../shared/identity.js';
import { sameConns } from '../platform/conns.js';
import {
  type Platform,
  TRACE_FORMAT,
  type TraceConn,
  TRACE_VERSION,
  type TraceHeader,
  type TraceProc,
  type TraceSample,
} from '../../../shared/trace.js';

export interface EncoderOptions {
  startedAtMs: number;
  intervalMs: number;
  idleThresholdSec: number;
  platform: Platform;
  cpuCores: number;
}

/**
 * Turns engine samples into trace v1 lines (`docs/trace-format.md`). Identity fields go out
 * the first time a process (pid + start time) appears, and again when a pid is reused by a new
 * process. A process that replaces its program (exec: same pid and start time, new name, exe or
 * command line) gets its name, exe, cmdline and user again on the first sample after the change,
 * as the format requires, so a replay names the program that did the work. Idle processes shrink to `{"pid":N}`. `conns` goes out only when a process's list
 * differs from the last one written for it (the spec: "when present it replaces the last list").
 */
/** What the encoder remembers of one live pid between samples. */
interface Slot {
  /** The identity last written (the engine's own row object: no copy per tick). */
  row: EngineSample['procs'][number];
  /** The last `conns` list written for it, if any. */
  conns: TraceConn[] | undefined;
  /** Its entry while it is idle: `{"pid":N}`, one object for every sample it stays idle in. */
  idle: TraceProc | null;
  /** The sample it was last seen in. */
  stamp: number;
}

export class TraceEncoder {
  private lastT = 0;
  private readonly slots = new Map<number, Slot>();
  private stamp = 0;
  /** Last sample's rows and entries, for the shortcut when the process list is the same. */
  private lastRows: readonly EngineSample['procs'][number][] | null = null;
  private lastEntries: TraceProc[] = [];
  /** Per index of the last list: its entry was the process's shared `{"pid":N}`. */
  private lastIdle = new Uint8Array(0);
  /** Whether the entry `entry()` just made is the shared idle one. */
  private madeIdle = false;

  constructor(private readonly opts: EncoderOptions) {}

  header(first: EngineSample | null): TraceHeader {
    return {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      startedAt: new Date(this.opts.startedAtMs).toISOString(),
      intervalMs: this.opts.intervalMs,
      idleThresholdSec: this.opts.idleThresholdSec,
      host: {
        platform: this.opts.platform,
        cpuCores: this.opts.cpuCores,
        gpus: (first?.gpus ?? []).map((g) => ({ id: g.id, vendor: g.vendor, name: g.name, memoryMiB: g.memoryMiB })),
      },
    };
  }

  /**
   * One sample's line. Runs every tick over every live process, so it allocates only for the
   * entries that say more than the pid: an idle process's `{"pid":N}` is the same object from
   * sample to sample (samples are read-only for everyone), and nothing is copied per process.
   */
  sample(s: EngineSample): TraceSample {
    const t = Math.max(this.lastT, Math.round(s.at - this.opts.startedAtMs));
    this.lastT = t;
    const procs = this.sameList(s.procs) ?? this.everyProc(s.procs);
    this.lastRows = s.procs;
    this.lastEntries = procs;
    const user: TraceSample['user'] = { state: s.user.state, idleSec: s.user.idleSec };
    if (s.user.inhibitors && s.user.inhibitors.length > 0) user.inhibitors = s.user.inhibitors;
    return {
      t,
      user,
      system: { cpu: s.system.cpu, gpus: s.gpus.map((g) => ({ id: g.id, util: g.util, memUsedMiB: g.memUsedMiB })) },
      procs,
    };
  }

  /**
   * The entries when the sampler handed out the same processes at the same places as last time
   * (it keeps a quiet process's row object from tick to tick): only rows that are new objects, or
   * whose entry said more than the pid last time, are looked at. Null when the list changed.
   */
  private sameList(rows: readonly EngineSample['procs'][number][]): TraceProc[] | null {
    const last = this.lastRows;
    if (last === null || last.length !== rows.length) return null;
    for (let i = 0; i < rows.length; i++) {
      const p = rows[i]!;
      const q = last[i]!;
      if (p !== q && (p.pid !== q.pid || p.startTimeMs !== q.startTimeMs)) return null;
    }
    const entries = this.lastEntries.slice();
    const idle = this.lastIdle;
    for (let i = 0; i < rows.length; i++) {
      const p = rows[i]!;
      // Same row, idle entry last time: the same idle entry again, without a lookup.
      if (p === last[i] && idle[i] === 1) continue;
      entries[i] = this.entry(p, this.stamp);
      idle[i] = this.madeIdle ? 1 : 0;
    }
    return entries;
  }

  private everyProc(rows: readonly EngineSample['procs'][number][]): TraceProc[] {
    const stamp = ++this.stamp;
    let live = 0;
    const procs: TraceProc[] = new Array(rows.length);
    if (this.lastIdle.length !== rows.length) this.lastIdle = new Uint8Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const p = rows[i]!;
      const before = this.slots.get(p.pid);
      if (before === undefined || before.stamp !== stamp) live++;
      procs[i] = this.entry(p, stamp);
      this.lastIdle[i] = this.madeIdle ? 1 : 0;
    }
    // Bounded by the live processes: exited pids are forgotten (a walk only when some left).
    if (this.slots.size > live) for (const [pid, slot] of this.slots) if (slot.stamp !== stamp) this.slots.delete(pid);
    return procs;
  }

  /** One process's entry; updates what the encoder remembers of it. */
  private entry(p: EngineSample['procs'][number], stamp: number): TraceProc {
    let slot = this.slots.get(p.pid);
    const isNew = slot === undefined || slot.row.startTimeMs !== p.startTimeMs;
    // Quiet processes keep their row object from tick to tick, so the string compares run only
    // for rows the sampler rebuilt (and are pointer compares when nothing changed).
    const execed = !isNew && slot!.row !== p && identityChanged(slot!.row, p);
    if (slot === undefined) {
      slot = { row: p, conns: undefined, idle: null, stamp };
      this.slots.set(p.pid, slot);
    } else {
      slot.row = p;
      slot.stamp = stamp;
      if (isNew) {
        slot.conns = undefined;
        slot.idle = null;
      }
    }
    let conns: TraceConn[] | undefined;
    if (p.conns !== undefined) {
      const sent = slot.conns;
      // A process's first list goes out unless it is empty (absent already means none known).
      if (sent === undefined ? p.conns.length > 0 : sent !== p.conns && !sameConns(sent, p.conns)) {
        conns = p.conns.map((c) => ({ proto: c.proto, remote: c.remote, state: c.state }));
        slot.conns = p.conns;
      }
    }
    const plain =
      !isNew &&
      !execed &&
      !(p.cpu > 0) &&
      !(p.gpu !== null && p.gpu > 0) &&
      !(p.gpuMemMiB !== null && p.gpuMemMiB > 0) &&
      conns === undefined;
    this.madeIdle = plain;
    if (plain) {
      slot.idle ??= { pid: p.pid };
      return slot.idle;
    }
    const entry: TraceProc = { pid: p.pid };
    if (execed) {
      entry.name = p.name;
      entry.exe = p.exe;
      entry.cmdline = p.cmdline;
      entry.user = p.user;
    } else if (isNew) {
      // Collectors always know the parent of a live process; 0 is the kernel's own "none".
      entry.ppid = p.ppid ?? 0;
      entry.name = p.name;
      entry.exe = p.exe;
      entry.cmdline = p.cmdline;
      entry.user = p.user;
      entry.startT = Math.round(p.startTimeMs - this.opts.startedAtMs);
    }
    if (p.cpu > 0) entry.cpu = p.cpu;
    if (p.gpu !== null && p.gpu > 0) entry.gpu = p.gpu;
    if (p.gpuMemMiB !== null && p.gpuMemMiB > 0) entry.gpuMemMiB = p.gpuMemMiB;
    if (conns !== undefined) entry.conns = conns;
    return entry;
  }
}
