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
export class TraceEncoder {
  private lastT = 0;
  /** The identity last written per live pid (the engine's own row object: no copy per tick). */
  private seen = new Map<number, EngineSample['procs'][number]>();
  /** The last `conns` list written per live pid (of the process `seen` names). */
  private connsSent = new Map<number, TraceConn[]>();

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

  sample(s: EngineSample): TraceSample {
    const t = Math.max(this.lastT, Math.round(s.at - this.opts.startedAtMs));
    this.lastT = t;
    const next = new Map<number, EngineSample['procs'][number]>();
    const procs: TraceProc[] = new Array(s.procs.length);
    for (let i = 0; i < s.procs.length; i++) {
      const p = s.procs[i]!;
      const sent = this.seen.get(p.pid);
      const entry: TraceProc = { pid: p.pid };
      const isNew = sent === undefined || sent.startTimeMs !== p.startTimeMs;
      // Quiet processes keep their row object from tick to tick, so the string compares run only
      // for rows the sampler rebuilt (and are pointer compares when nothing changed).
      const execed = !isNew && sent !== p && identityChanged(sent, p);
      next.set(p.pid, p);
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
      if (isNew) this.connsSent.delete(p.pid);
      if (p.conns !== undefined) {
        const sent = this.connsSent.get(p.pid);
        // A process's first list goes out unless it is empty (absent already means none known).
        if (sent === undefined ? p.conns.length > 0 : sent !== p.conns && !sameConns(sent, p.conns)) {
          entry.conns = p.conns.map((c) => ({ proto: c.proto, remote: c.remote, state: c.state }));
          this.connsSent.set(p.pid, p.conns);
        }
      }
      procs[i] = entry;
    }
    this.seen = next;
    // Bounded by the live processes: exited pids are forgotten.
    for (const pid of this.connsSent.keys()) if (!next.has(pid)) this.connsSent.delete(pid);
    const user: TraceSample['user'] = { state: s.user.state, idleSec: s.user.idleSec };
    if (s.user.inhibitors && s.user.inhibitors.length > 0) user.inhibitors = s.user.inhibitors;
    return {
      t,
      user,
      system: { cpu: s.system.cpu, gpus: s.gpus.map((g) => ({ id: g.id, util: g.util, memUsedMiB: g.memUsedMiB })) },
      procs,
    };
  }
}
