import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import type { Availability, SourceStatus } from '../collector.js';
import { ProcFileReader, newStatFields } from './proc-file.js';
import type { ProcReading, ProcsCollector, ProcsReading, ProcsSampleOptions } from '../procs.js';
import { UserNames } from './users.js';

/** How long a process stays on the hot list after its last busy reading. */
const HOT_STICKY_MS = 30_000;
/** How often a busy process's exe link is compared again while it stays busy. */
const EXE_RECHECK_MS = 10_000;

export interface LinuxProcsOptions {
  procRoot?: string;
  passwdPath?: string;
  /** Processes at or above this CPU % (of one core) are re-read on every hot pass. */
  hotCpu?: number;
}

interface Tracked {
  starttime: number;
  ticks: number;
  atMs: number;
  comm: string;
  reading: ProcReading;
  /** Identity could not be fully read (permission denied). */
  denied: boolean;
  /**
   * Re-read on hot passes until then: a busy process that gets no CPU for one interval (a
   * loaded machine, a miner throttling) must not drop out of view until the next full pass.
   */
  hotUntilMs: number;
  seenPass: number;
  /** When the exe link was last compared (busy processes only; see exeMoved). */
  exeCheckedAt: number;
}

/** Passes further apart than this were split by a suspend or a clock step, not by sampling. */
const MAX_PASS_GAP_MS = 60_000;

/**
 * Every process's identity and CPU share, read straight from /proc.
 *
 * Cost model: one small read of /proc/PID/stat per process per tick. Identity (exe link, command
 * line, owner) is read once per process, keyed by pid + start time, and again only if the
 * process execs (its comm changes, or for a busy process its exe link). Processes that exit mid-read are skipped silently.
 */
export class LinuxProcsCollector implements ProcsCollector {
  readonly id = 'procs.linux';
  readonly label = 'Processes (/proc)';

  private readonly root: string;
  private readonly reader = new ProcFileReader();
  /** The stat fields of the process being read (one object for every read: no garbage per process). */
  private readonly st = newStatFields();
  private readonly users: UserNames;
  private readonly tracked = new Map<number, Tracked>();
  private clkTck = 100;
  private bootTimeMs = 0;
  private pass = 0;
  private lastPassAt: number | null = null;
  /** The last pass's interval was unusable (the clock jumped): the next pass re-reads everyone. */
  private remeasure = false;
  private lastUnreadable = 0;
  private lastError: string | null = null;
  private started = false;
  private readonly hotCpu: number;
  private lastForks: number | null = null;
  /** Pids whose hotUntilMs may still lie ahead (a superset: pruned as they cool down or go). */
  private readonly hot = new Set<number>();
  /**
   * The list the last hot pass without a fork handed out (every tracked reading, in tracked
   * order) and each pid's index in it. While no process starts, exits or execs, the next such
   * pass re-reads the hot processes and hands out the same list: no walk over every process.
   */
  private carried: { procs: ProcReading[]; index: Map<number, number> } | null = null;

  constructor(opts: LinuxProcsOptions = {}) {
    this.root = opts.procRoot ?? '/proc';
    this.hotCpu = opts.hotCpu ?? 0.5;
    this.users = new UserNames(opts.passwdPath);
  }

  async available(): Promise<Availability> {
    if (process.platform !== 'linux' && this.root === '/proc') return { ok: false, reason: '/proc is Linux-only' };
    try {
      this.reader.read(`${this.root}/self/stat`);
      return { ok: true, detail: `reading ${this.root} directly` };
    } catch (e) {
      return { ok: false, reason: `cannot read ${this.root}: ${(e as Error).message}` };
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.clkTck = readClockTicks();
    this.bootTimeMs = this.readBootTimeMs();
    this.started = true;
    // A baseline pass, so the first real sample already has CPU deltas for every process.
    this.collect(Date.now());
  }

  async stop(): Promise<void> {
    this.started = false;
    this.tracked.clear();
    this.hot.clear();
    this.carried = null;
  }

  /** `opts.full: false` asks for a hot pass (see collect); the default is a full pass. */
  async sample(nowMs: number, opts?: ProcsSampleOptions): Promise<ProcsReading> {
    if (!this.started) await this.start();
    return this.collect(nowMs, opts);
  }

  status(): SourceStatus {
    if (this.lastError) return { id: this.id, label: this.label, health: 'degraded', detail: this.lastError };
    const detail =
      this.lastUnreadable > 0
        ? `${this.lastUnreadable === 1 ? '1 process' : `${this.lastUnreadable} processes`} could not be read (permission denied: run as their owner or with privileges to see them)`
        : `reading ${this.root} directly`;
    return { id: this.id, label: this.label, health: 'ok', detail };
  }

  /** Number of processes remembered between ticks (bounded by the live process count). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  /**
   * A full pass reads every process's stat; a hot pass lists /proc, reads new processes and those
   * that were busy at their last reading (or that the caller watches, e.g. GPU users), and carries
   * the quiet ones' last readings forward. Reading /proc/PID/stat is the engine's main cost (the
   * kernel computes it on every read), so while the machine is quiet most ticks are hot passes.
   */
  private collect(nowMs: number, opts: ProcsSampleOptions = {}): ProcsReading {
    const full = opts.full !== false || this.pass === 0 || this.remeasure;
    // After a clock step or a suspend every rate of this pass is 0 or meaningless, so no process
    // looks busy, and hot passes would skip even a miner until the next scheduled full pass.
    const gap = this.lastPassAt === null ? 0 : nowMs - this.lastPassAt;
    this.remeasure = !(gap >= 0 && gap <= MAX_PASS_GAP_MS);
    this.lastPassAt = nowMs;
    if (!full) return this.hotPass(nowMs, opts.watch);
    this.carried = null;
    const pass = ++this.pass;
    this.lastForks = this.readForkCount(); // read before listing, so a fork during the pass is not missed
    let names: string[];
    try {
      names = readdirSync(this.root);
      this.lastError = null;
    } catch (e) {
      this.lastError = `cannot list ${this.root}: ${(e as Error).message}`;
      return { procs: [], unreadable: 0, full: true };
    }
    const procs: ProcReading[] = [];
    let unreadable = 0;
    for (const entry of names) {
      const c = entry.charCodeAt(0);
      if (c < 48 || c > 57) continue; // only numeric entries are processes
      const t = this.readOne(Number(entry), entry, nowMs, pass);
      if (!t) continue;
      if (t.denied) unreadable++;
      procs.push(t.reading);
    }
    // Forget exited processes so the map stays bounded by the live process count.
    for (const [pid, t] of this.tracked) if (t.seenPass !== pass) this.tracked.delete(pid);
    this.lastUnreadable = unreadable;
    return { procs, unreadable, full: true };
  }

  private hotPass(nowMs: number, watch: Iterable<number> | undefined): ProcsReading {
    const pass = ++this.pass;
    const watched = watch ? new Set(watch) : null;
    // The kernel's fork counter tells whether any process was created since the last pass. When
    // none was, the /proc listing (the costly part of a hot pass) is skipped: busy processes are
    // re-read (and dropped if they exited) and quiet ones carried until the next full pass.
    const forks = this.readForkCount();
    if (forks !== null && forks === this.lastForks) return this.carryPass(nowMs, pass, watched);
    this.carried = null;
    this.lastForks = forks;
    let names: string[];
    try {
      // Listing /proc costs no per-process kernel work: new processes appear and exited ones
      // vanish at once.
      names = readdirSync(this.root);
    } catch (e) {
      this.lastError = `cannot list ${this.root}: ${(e as Error).message}`;
      return { procs: [], unreadable: 0, full: false };
    }
    const procs: ProcReading[] = [];
    for (const entry of names) {
      const c = entry.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(entry);
      const known = this.tracked.get(pid);
      if (known && known.hotUntilMs < nowMs && !watched?.has(pid)) {
        known.seenPass = pass;
        procs.push(known.reading);
        continue;
      }
      const fresh = this.readOne(pid, entry, nowMs, pass);
      if (fresh) procs.push(fresh.reading);
    }
    for (const [pid, t] of this.tracked) if (t.seenPass !== pass) this.tracked.delete(pid);
    return { procs, unreadable: this.lastUnreadable, full: false };
  }

  /**
   * A hot pass while no process was created: the hot and watched processes are re-read, the others
   * carried. When none of them exited or exec'd, the list is the previous one (`same`); otherwise
   * it is rebuilt in tracked order, as it always was.
   */
  private carryPass(nowMs: number, pass: number, watched: Set<number> | null): ProcsReading {
    const carried = this.carried;
    let intact = carried !== null;
    const reread: number[] = [];
    const readAgain = (pid: number, t: Tracked): void => {
      const before = t.reading;
      const fresh = this.readOne(pid, String(pid), nowMs, pass);
      if (!fresh) {
        this.tracked.delete(pid);
        this.hot.delete(pid);
        intact = false;
      } else if (fresh !== t || fresh.reading !== before) {
        intact = false; // a new process under the pid, or an exec: a new reading object
      } else if (carried) {
        const i = carried.index.get(pid);
        if (i === undefined) intact = false;
        else reread.push(i);
      }
    };
    for (const pid of this.hot) {
      const t = this.tracked.get(pid);
      if (!t || (t.hotUntilMs < nowMs && !watched?.has(pid))) {
        this.hot.delete(pid);
        continue;
      }
      readAgain(pid, t);
    }
    if (watched) {
      for (const pid of watched) {
        const t = this.tracked.get(pid);
        if (t && !this.hot.has(pid) && t.seenPass !== pass) readAgain(pid, t);
      }
    }
    if (intact && carried) {
      return {
        procs: carried.procs,
        unreadable: this.lastUnreadable,
        full: false,
        same: { reread, indexOf: (pid) => carried.index.get(pid) },
      };
    }
    const procs: ProcReading[] = new Array(this.tracked.size);
    const index = new Map<number, number>();
    let i = 0;
    for (const [pid, t] of this.tracked) {
      index.set(pid, i);
      procs[i++] = t.reading;
    }
    this.carried = { procs, index };
    return { procs, unreadable: this.lastUnreadable, full: false };
  }

  /** Total forks since boot (`processes` in /proc/stat), or null when unreadable. */
  private readForkCount(): number | null {
    try {
      const text = this.reader.read(`${this.root}/stat`);
      const at = text.indexOf('\nprocesses ');
      if (at < 0) return null;
      const n = Number.parseInt(text.slice(at + 11, text.indexOf('\n', at + 11)), 10);
      return Number.isFinite(n) ? n : null;
    } catch {
      return null;
    }
  }

  /** Reads one process's stat; identity only when new, reused or exec'd. Null when it is gone. */
  private readOne(pid: number, entry: string, nowMs: number, pass: number): Tracked | null {
    let t = this.tracked.get(pid);
    const st = this.st;
    try {
      if (!this.reader.readStat(`${this.root}/${entry}/stat`, st, t?.comm ?? null)) return null;
    } catch {
      return null; // exited between listing and reading
    }
    const ticks = st.utime + st.stime;
    let cpu = 0;
    if (t && t.starttime === st.starttime) {
      const dtSec = (nowMs - t.atMs) / 1000;
      // A clock step backwards (dtSec <= 0) yields 0, never a negative or infinite rate.
      if (dtSec > 0) cpu = Math.max(0, ((ticks - t.ticks) / this.clkTck / dtSec) * 100);
      if (t.comm !== st.comm || (cpu >= this.hotCpu && this.exeMoved(t, entry, nowMs))) {
        // Same process, new program (execve): identity must be read again. comm changes with
        // the program's file name, for free (stat is read anyway); a miner exec'd under the same
        // name as its launcher changes only the exe link, which is checked for busy processes.
        const fresh = this.readIdentity(pid, entry, st, nowMs);
        if (!fresh) return null;
        t.reading = fresh.reading;
        t.denied = fresh.unreadable;
        t.comm = st.comm;
      }
    } else {
      // New process, or a reused pid (different start time): never diff across two processes.
      const fresh = this.readIdentity(pid, entry, st, nowMs);
      if (!fresh) return null;
      if (this.pass > 1) {
        // Started since we last looked: its whole CPU time belongs to this interval.
        const ageSec = (nowMs - fresh.reading.startTimeMs) / 1000;
        if (ageSec > 0.05) cpu = Math.max(0, (ticks / this.clkTck / ageSec) * 100);
      }
      t = {
        starttime: st.starttime,
        ticks,
        atMs: nowMs,
        comm: st.comm,
        reading: fresh.reading,
        denied: fresh.unreadable,
        seenPass: pass,
        hotUntilMs: 0,
        exeCheckedAt: nowMs,
      };
      this.tracked.set(pid, t);
    }
    t.ticks = ticks;
    t.atMs = nowMs;
    t.seenPass = pass;
    const r = t.reading;
    r.ppid = st.ppid;
    r.cpu = Number.isFinite(cpu) ? Math.round(cpu * 10) / 10 : 0;
    if (r.cpu >= this.hotCpu) {
      t.hotUntilMs = nowMs + HOT_STICKY_MS;
      this.hot.add(pid);
    }
    r.rssKiB = st.rssPages * 4;
    return t;
  }

  /**
   * The exe link no longer says what it said when the identity was read. Checked when a process
   * turns busy and then every EXE_RECHECK_MS while it stays busy: a readlink per busy process per
   * tick would be work repeated for nothing on a long render or build.
   */
  private exeMoved(t: Tracked, entry: string, nowMs: number): boolean {
    const turnedBusy = t.hotUntilMs < nowMs;
    if (t.reading.exe === null || (!turnedBusy && nowMs - t.exeCheckedAt < EXE_RECHECK_MS)) return false;
    t.exeCheckedAt = nowMs;
    try {
      return readlinkSync(`${this.root}/${entry}/exe`) !== t.reading.exe;
    } catch {
      return false; // exited, or unreadable as before
    }
  }

  private readIdentity(
    pid: number,
    entry: string,
    st: { comm: string; ppid: number; starttime: number },
    nowMs: number,
  ): { reading: ProcReading; unreadable: boolean } | null {
    const dir = `${this.root}/${entry}`;
    let uid: number;
    try {
      uid = statSync(dir).uid;
    } catch {
      return null; // exited
    }
    let exe: string | null = null;
    let denied = false;
    try {
      exe = readlinkSync(`${dir}/exe`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') denied = true;
      // ENOENT: a kernel thread (no executable) or the process just exited.
    }
    let cmdline = '';
    try {
      cmdline = cmdlineText(this.reader.readUtf8(`${dir}/cmdline`));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') denied = true;
    }
    const startTimeMs = Math.round(this.bootTimeMs + (st.starttime * 1000) / this.clkTck);
    return {
      reading: {
        pid,
        ppid: st.ppid,
        name: st.comm,
        exe,
        cmdline,
        user: this.users.name(uid, nowMs),
        startTimeMs,
        cpu: 0,
        rssKiB: null,
      },
      unreadable: denied,
    };
  }

  private readBootTimeMs(): number {
    try {
      const stat = this.reader.read(`${this.root}/stat`);
      const m = /^btime (\d+)$/m.exec(stat);
      if (m?.[1]) return Number(m[1]) * 1000;
    } catch {
      // fall through
    }
    // Without btime, derive boot time from uptime; good to about a second.
    try {
      const up = Number(this.reader.read(`${this.root}/uptime`).split(' ')[0]);
      return Date.now() - up * 1000;
    } catch {
      return 0;
    }
  }
}

/** /proc/PID/cmdline is NUL-separated arguments (often with a trailing NUL). */
export function cmdlineText(raw: string): string {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0) end--;
  return raw.slice(0, end).split('\0').join(' ');
}

let cachedClkTck: number | null = null;

/** USER_HZ, the unit of utime/stime/starttime: 100 on every mainstream Linux, asked once to be sure. */
function readClockTicks(): number {
  if (cachedClkTck !== null) return cachedClkTck;
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    cachedClkTck = Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    cachedClkTck = 100;
  }
  return cachedClkTck;
}
