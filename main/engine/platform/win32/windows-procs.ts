import type { Availability, SourceStatus } from '../collector.js';
import type { ProcReading, ProcsCollector, ProcsReading } from '../procs.js';
import { IDENT_BATCH, identRequest } from './commands.js';
import { type CounterFrame, parseIdentRows, type RawProc, type WinIdentity } from './counter-parse.js';
import type { CounterStream } from './counter-stream.js';
import type { PsHelper } from './ps-helper.js';

/** Counter start times are exact FILETIMEs; the cooked fallback is to the second. */
const START_TOLERANCE_MS = 1500;
/** Identity asked at most this often per process before it is given up (exited, or hidden from us). */
const MAX_IDENT_TRIES = 3;

interface Tracked {
  startTimeMs: number | null;
  cpu100ns: number | null;
  atMs: number;
  identity: WinIdentity | null;
  identTries: number;
  identPending: boolean;
  reading: ProcReading;
}

export interface WindowsProcsOptions {
  stream: CounterStream;
  helper: PsHelper;
  /** Usable on this machine; false off Windows (tests pass true). */
  supported: boolean;
}

/**
 * Every process's CPU share and identity on Windows, from the shared counter sampler.
 *
 * Per tick this costs no process start: sample() only reads the frame the sampler printed. CPU %
 * of one core is the delta of raw `% Processor Time` (total CPU time, 100 ns units) over the delta
 * of sample times, per pid + start time (the raw `Elapsed Time` is the creation FILETIME), so a
 * reused pid never gets a rate computed across two processes. Identity (exe path, command line,
 * owner) is asked once per new process, in batches of up to 64 pids per WMI query, through the
 * long-lived helper; until it arrives the process shows with its counter name and no path.
 *
 * Cost, estimated (not measured: no Windows machine here): one Get-Counter call per period over
 * ~6 Process counters × N processes and the GPU counters. PDH collects the whole Process object
 * in one kernel query; expanding the wildcards again each time and building the JSON line in
 * PowerShell are the larger part, guessed at 20–60 ms of CPU per sample for 300 processes, i.e.
 * 1–3 % of one core at a 2 s period, plus 50–200 ms per batch of new processes for the WMI query
 * (GetOwner is one WMI method call per process). Far cheaper than systeminformation, which starts
 * a PowerShell and queries WMI for every process on every call (seconds per tick); above the
 * Linux collector's cost. To measure it: Task Manager's CPU time of the two powershell.exe
 * children over 10 minutes of `idlewatch watch`.
 */
export class WindowsProcsCollector implements ProcsCollector {
  readonly id = 'procs.windows';
  readonly label = 'Processes (Windows performance counters)';
  private readonly tracked = new Map<number, Tracked>();
  private started = false;
  private lastSeq = -1;
  private last: ProcsReading | null = null;
  private identError: string | null = null;
  private identInFlight = false;

  constructor(private readonly o: WindowsProcsOptions) {}

  async available(): Promise<Availability> {
    if (!this.o.supported) return { ok: false, reason: 'Windows performance counters exist only on Windows' };
    return { ok: true, detail: 'Get-Counter in one long-lived PowerShell; identities from Win32_Process' };
  }

  async start(): Promise<void> {
    if (this.started || !this.o.supported) return;
    this.started = true;
    this.o.stream.acquire();
    this.o.helper.retain();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.tracked.clear();
    this.last = null;
    this.lastSeq = -1;
    await Promise.all([this.o.stream.release(), this.o.helper.release()]);
  }

  /** Every pass is full: the sampler reads every process each period anyway. */
  async sample(_nowMs: number): Promise<ProcsReading> {
    if (!this.started) await this.start();
    const frame = this.o.stream.frame();
    if (!frame?.has.process) return { procs: [], unreadable: 0, full: true };
    if (!this.last || this.o.stream.seq !== this.lastSeq) {
      this.lastSeq = this.o.stream.seq;
      this.last = this.apply(frame);
      this.fetchIdentities();
    }
    // Identities arrive between samples: count the unreadable ones now, not at the last frame.
    this.last.unreadable = this.countUnreadable();
    return this.last;
  }

  status(): SourceStatus {
    const base = { id: this.id, label: this.label };
    const h = this.o.stream.health('process');
    if (!h.ok) return { ...base, health: h.starting ? 'unavailable' : 'degraded', detail: h.detail };
    if (this.identError) {
      return { ...base, health: 'degraded', detail: `process paths and owners unreadable: ${this.identError}` };
    }
    const unreadable = this.last?.unreadable ?? 0;
    const extra =
      unreadable > 0
        ? `; ${unreadable === 1 ? '1 process' : `${unreadable} processes`} without a readable path (other users' or protected processes: run as administrator to see them)`
        : '';
    return { ...base, health: 'ok', detail: `${h.detail}${extra}` };
  }

  /** Processes remembered between ticks (bounded by the live process count). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  private apply(frame: CounterFrame): ProcsReading {
    const seen = new Set<number>();
    const procs: ProcReading[] = [];
    const firstFrame = this.tracked.size === 0;
    for (const raw of frame.procs) {
      if (seen.has(raw.pid)) continue; // one pid, two instances mid-rename: the first wins
      seen.add(raw.pid);
      const t = this.track(raw, frame.atMs, firstFrame);
      procs.push(t.reading);
    }
    // Exited processes are forgotten, so state stays bounded by the live process count.
    for (const pid of this.tracked.keys()) if (!seen.has(pid)) this.tracked.delete(pid);
    return { procs, unreadable: 0, full: true };
  }

  /** Processes whose path Windows did not show us (other users' or protected ones; 4 is System, with no file). */
  private countUnreadable(): number {
    let n = 0;
    for (const [pid, t] of this.tracked) if (t.identity && t.identity.exe === null && pid > 4) n++;
    return n;
  }

  private track(raw: RawProc, atMs: number, firstFrame: boolean): Tracked {
    let t = this.tracked.get(raw.pid);
    let cpu = 0;
    if (t && sameStart(t.startTimeMs, raw.startTimeMs)) {
      const dtMs = atMs - t.atMs;
      if (dtMs > 0 && raw.cpu100ns !== null && t.cpu100ns !== null) {
        // 100 ns units → ms: / 10 000. Never negative (a counter reset reads as 0).
        cpu = Math.max(0, ((raw.cpu100ns - t.cpu100ns) / 10_000 / dtMs) * 100);
      }
    } else {
      // New process, or the pid now belongs to another one: never diff across the two.
      if (!firstFrame && raw.cpu100ns !== null && raw.startTimeMs !== null) {
        const ageMs = atMs - raw.startTimeMs;
        if (ageMs > 50) cpu = Math.max(0, (raw.cpu100ns / 10_000 / ageMs) * 100);
      }
      t = {
        startTimeMs: raw.startTimeMs,
        cpu100ns: raw.cpu100ns,
        atMs,
        identity: null,
        identTries: 0,
        identPending: false,
        reading: {
          pid: raw.pid,
          ppid: raw.ppid ?? 0,
          name: instanceBase(raw.instance),
          exe: null,
          cmdline: '',
          user: null,
          startTimeMs: raw.startTimeMs ?? 0,
          cpu: 0,
          rssKiB: null,
        },
      };
      this.tracked.set(raw.pid, t);
    }
    t.cpu100ns = raw.cpu100ns;
    t.atMs = atMs;
    const r = t.reading;
    if (raw.ppid !== null) r.ppid = raw.ppid;
    r.cpu = Number.isFinite(cpu) ? Math.round(cpu * 10) / 10 : 0;
    r.rssKiB = raw.workingSetBytes === null ? null : Math.round(raw.workingSetBytes / 1024);
    return t;
  }

  /** One batch at a time, through the helper; sample() never waits for it. */
  private fetchIdentities(): void {
    if (this.identInFlight) return;
    const want: number[] = [];
    for (const [pid, t] of this.tracked) {
      if (t.identity || t.identPending || t.identTries >= MAX_IDENT_TRIES) continue;
      want.push(pid);
      if (want.length >= IDENT_BATCH) break;
    }
    if (want.length === 0) return;
    for (const pid of want) {
      const t = this.tracked.get(pid);
      if (t) {
        t.identPending = true;
        t.identTries++;
      }
    }
    this.identInFlight = true;
    this.o.helper
      .request((id) => identRequest(id, want))
      .then(
        (answer) => {
          this.identError = null;
          for (const ident of parseIdentRows(answer.procs)) this.acceptIdentity(ident);
        },
        (e: Error) => {
          this.identError = e.message;
        },
      )
      .finally(() => {
        this.identInFlight = false;
        for (const pid of want) {
          const t = this.tracked.get(pid);
          if (t) t.identPending = false;
        }
      });
  }

  private acceptIdentity(ident: WinIdentity): void {
    const t = this.tracked.get(ident.pid);
    if (!t) return; // exited meanwhile
    // WMI answered for whatever process holds the pid now: only take it if it is the same one.
    if (t.startTimeMs !== null && ident.startTimeMs !== null && !sameStart(t.startTimeMs, ident.startTimeMs)) return;
    t.identity = ident;
    const r = t.reading;
    if (ident.name) r.name = ident.name;
    r.exe = ident.exe;
    r.cmdline = ident.cmdline;
    r.user = ident.user;
    if (r.startTimeMs === 0 && ident.startTimeMs !== null) r.startTimeMs = ident.startTimeMs;
  }
}

function sameStart(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= START_TOLERANCE_MS;
}

/** `chrome#3` → `chrome`: the counter instance without Windows' uniqueness suffix. */
export function instanceBase(instance: string): string {
  const m = /^(.*)#\d+$/.exec(instance);
  return m?.[1] ?? instance;
}
