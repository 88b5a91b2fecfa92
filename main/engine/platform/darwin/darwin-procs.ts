import type { Availability, SourceStatus } from '../collector.js';
import type { ProcReading, ProcsCollector, ProcsReading } from '../procs.js';
import { runFile } from '../../util/exec.js';
import {
  PS_ARGS_COLUMNS,
  PS_IDENTITY_COLUMNS,
  type PsTickRow,
  parsePsArgs,
  parsePsIdentity,
  parsePsTick,
  psEnv,
  psIdentityArgs,
  psTickArgs,
} from './ps-parse.js';

export interface DarwinProcsOptions {
  /** Full path of ps. Default /bin/ps (never a PATH lookup: a planted `ps` could hide a miner). */
  psPath?: string;
  /** Environment for ps (LC_ALL=C is always forced on top). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-run limit. Default 5000 ms. */
  timeoutMs?: number;
  /** More new processes than this in one pass are read with one `-A` listing instead of `-p`. Default 64. */
  batchMax?: number;
  /** Clock of the baseline pass start() makes. Default Date.now. */
  now?: () => number;
}

interface Tracked {
  startTimeMs: number;
  cpuSec: number | null;
  atMs: number;
  ucomm: string;
  reading: ProcReading;
  denied: boolean;
  /** ps printed this process's identity (it may miss a run: a timeout, a process mid-exec). */
  identityOk: boolean;
  identityTries: number;
}

/** Identity reads tried per process before giving up on it (a zombie never answers). */
const IDENTITY_TRIES = 3;

/** Passes further apart than this were split by a sleep or a clock step: no rate from them. */
const MAX_PASS_GAP_MS = 60_000;

/**
 * Every process on macOS through `ps`, the tool that ships with every Mac.
 *
 * Cost model, and why ps and not a streaming `top -l 0`: one `ps -A -o
 * pid=,ppid=,rss=,time=,lstart=,ucomm=` per tick (about 5-15 ms of a short-lived child on a Mac),
 * and identity (executable path, user, command line) only for processes not seen before, in two
 * batched runs (`ps -ww -o pid=,user=,comm= -p 1,2,3` and `... pid=,args= ...`). `top` would be one
 * long-lived child, but it samples every process for its own display each second (it costs more
 * CPU than a ps run), has no start-time column (so no pid + start identity across pid reuse),
 * truncates command names to 16 characters, and its first block's percentages are meaningless; a
 * ps run stands alone, so a bad run costs one tick and nothing has to be resynchronised.
 *
 * CPU % of one core comes from the delta of cumulative CPU time (ps `time`, 10 ms resolution)
 * over the interval: never negative, never across two processes sharing a pid (pid + start time
 * is the identity; the start time comes with every tick's listing). Every pass reads every
 * process, so every reading is a full one. State is bounded by the live process count.
 */
export class DarwinProcsCollector implements ProcsCollector {
  readonly id = 'procs.darwin';
  readonly label = 'Processes (ps)';

  private readonly psPath: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly batchMax: number;
  private readonly tracked = new Map<number, Tracked>();
  private lastPassAt: number | null = null;
  private passes = 0;
  private lastError: string | null = null;
  private lastBad: string | null = null;
  private lastUnreadable = 0;
  private identityError: string | null = null;
  private started = false;
  private readonly now: () => number;
  /** Runs of ps made, for the overhead readout and tests. */
  readonly stats = { tickRuns: 0, identityRuns: 0 };

  constructor(opts: DarwinProcsOptions = {}) {
    this.psPath = opts.psPath ?? '/bin/ps';
    this.env = psEnv(opts.env ?? process.env);
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.batchMax = opts.batchMax ?? 64;
    this.now = opts.now ?? Date.now;
  }

  async available(): Promise<Availability> {
    const r = await runFile(this.psPath, ['-o', 'pid=,lstart=', '-p', String(process.pid)], {
      timeoutMs: this.timeoutMs,
      env: this.env,
      maxBuffer: 64 * 1024,
    });
    if (!r.ok) return { ok: false, reason: `cannot list processes: ${r.error ?? 'ps failed'}` };
    if (!/^\s*\d+\s+[A-Z][a-z]{2} /.test(r.stdout)) {
      return { ok: false, reason: `${this.psPath} printed an unexpected format: ${firstLine(r.stdout)}` };
    }
    return { ok: true, detail: `${this.psPath} once per tick, identity once per process` };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // A baseline pass, so the first real sample already has CPU deltas for every process.
    await this.collect(this.now());
  }

  async stop(): Promise<void> {
    this.started = false;
    this.tracked.clear();
    this.lastPassAt = null;
    this.passes = 0;
  }

  async sample(nowMs: number): Promise<ProcsReading> {
    if (!this.started) await this.start();
    return this.collect(nowMs);
  }

  status(): SourceStatus {
    const base = { id: this.id, label: this.label };
    if (this.lastError) return { ...base, health: 'degraded', detail: this.lastError };
    const notes = [`${this.psPath} once per tick`];
    if (this.identityError) notes.push(`some identities missing (${this.identityError})`);
    if (this.lastBad) notes.push(`ignored unreadable ps lines, e.g. "${this.lastBad}"`);
    if (this.lastUnreadable > 0) {
      notes.push(
        `${this.lastUnreadable === 1 ? '1 process' : `${this.lastUnreadable} processes`} could not be fully read (another user's: run with sudo to see them)`,
      );
    }
    return { ...base, health: 'ok', detail: notes.join('; ') };
  }

  /** Processes remembered between ticks (bounded by the live process count). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  private async collect(nowMs: number): Promise<ProcsReading> {
    const gap = this.lastPassAt === null ? null : nowMs - this.lastPassAt;
    const usableGap = gap !== null && gap > 0 && gap <= MAX_PASS_GAP_MS;
    this.stats.tickRuns++;
    const r = await runFile(this.psPath, psTickArgs(), { timeoutMs: this.timeoutMs, env: this.env });
    const listing = parsePsTick(r.stdout);
    if (!r.ok || listing.rows.length === 0) {
      const why = !r.ok
        ? (r.error ?? 'ps failed')
        : `ps printed no process rows${listing.firstBad ? `: "${listing.firstBad}"` : ''}`;
      this.lastError = `cannot list processes: ${why}`;
      // No rate may span this hole: the next good pass is a new baseline.
      this.lastPassAt = null;
      return { procs: [], unreadable: 0, full: true };
    }
    this.lastError = null;
    this.lastBad = listing.bad > 0 ? listing.firstBad : null;
    this.lastPassAt = nowMs;
    const firstPass = this.passes++ === 0;

    // Who needs an identity read: new pids, reused pids (another start time), exec'd ones (ucomm changed).
    const needIdentity = new Set<number>();
    for (const row of listing.rows) {
      const t = this.tracked.get(row.pid);
      if (
        !t ||
        t.startTimeMs !== row.startTimeMs ||
        t.ucomm !== row.ucomm ||
        (!t.identityOk && t.identityTries < IDENTITY_TRIES)
      ) {
        needIdentity.add(row.pid);
      }
    }
    const identities = needIdentity.size > 0 ? await this.readIdentities([...needIdentity]) : null;

    const live = new Set<number>();
    const procs: ProcReading[] = [];
    let unreadable = 0;
    for (const row of listing.rows) {
      live.add(row.pid);
      let t = this.tracked.get(row.pid);
      let cpu = 0;
      const sameProcess = t !== undefined && t.startTimeMs === row.startTimeMs;
      if (t && sameProcess) {
        const dtSec = (nowMs - t.atMs) / 1000;
        if (usableGap && dtSec > 0 && row.cpuSec !== null && t.cpuSec !== null) {
          cpu = Math.max(0, (row.cpuSec - t.cpuSec) / dtSec) * 100;
        }
        if (needIdentity.has(row.pid)) this.applyIdentity(t, row, identities);
      } else {
        // New, or a reused pid: never diff across two processes.
        t = {
          startTimeMs: row.startTimeMs,
          cpuSec: row.cpuSec,
          atMs: nowMs,
          ucomm: row.ucomm,
          denied: false,
          identityOk: false,
          identityTries: 0,
          reading: {
            pid: row.pid,
            ppid: row.ppid,
            name: row.ucomm,
            exe: null,
            cmdline: '',
            user: null,
            startTimeMs: row.startTimeMs,
            cpu: 0,
            rssKiB: null,
          },
        };
        this.applyIdentity(t, row, identities);
        this.tracked.set(row.pid, t);
        if (!firstPass && usableGap && row.cpuSec !== null) {
          // Started since the last pass: its whole CPU time falls in this interval. lstart has
          // whole seconds, so divide by at least the interval: never an inflated rate.
          const ageSec = Math.max((nowMs - row.startTimeMs) / 1000, (gap ?? 0) / 1000);
          if (ageSec > 0) cpu = (row.cpuSec / ageSec) * 100;
        }
      }
      t.cpuSec = row.cpuSec;
      t.atMs = nowMs;
      t.ucomm = row.ucomm;
      const reading = t.reading;
      reading.ppid = row.ppid;
      reading.rssKiB = row.rssKiB;
      reading.cpu = Number.isFinite(cpu) ? Math.round(cpu * 10) / 10 : 0;
      if (t.denied) unreadable++;
      procs.push(reading);
    }
    for (const pid of this.tracked.keys()) if (!live.has(pid)) this.tracked.delete(pid);
    this.lastUnreadable = unreadable;
    return { procs, unreadable, full: true };
  }

  private applyIdentity(
    t: Tracked,
    row: PsTickRow,
    ids: { ident: ReturnType<typeof parsePsIdentity>; args: Map<number, string> } | null,
  ): void {
    const ident = ids?.ident.get(row.pid);
    const args = ids?.args.get(row.pid);
    const r = t.reading;
    t.identityTries = t.ucomm === row.ucomm ? t.identityTries + 1 : 1;
    t.identityOk = ident !== undefined;
    r.name = ident?.name || row.ucomm;
    r.exe = ident?.exe ?? null;
    r.user = ident?.user ?? null;
    r.cmdline = args ?? '';
    // A process that exited between the listing and the identity read is simply not found; it
    // drops out on the next tick. One whose arguments ps could not read is counted.
    t.denied = ident?.denied ?? false;
  }

  private async readIdentities(
    pids: number[],
  ): Promise<{ ident: ReturnType<typeof parsePsIdentity>; args: Map<number, string> }> {
    const which = pids.length > this.batchMax ? 'all' : pids;
    const opts = { timeoutMs: this.timeoutMs, env: this.env };
    this.stats.identityRuns += 2;
    const [ident, args] = await Promise.all([
      runFile(this.psPath, psIdentityArgs(PS_IDENTITY_COLUMNS, which), opts),
      runFile(this.psPath, psIdentityArgs(PS_ARGS_COLUMNS, which), opts),
    ]);
    // ps exits 1 when some of the asked pids are gone; what it printed for the others still counts.
    const failed = [ident, args].find((x) => !x.ok && x.code !== 1);
    this.identityError = failed ? (failed.error ?? 'ps failed') : null;
    return { ident: parsePsIdentity(ident.stdout), args: parsePsArgs(args.stdout) };
  }
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '(nothing)').trim().slice(0, 200);
}
