/**
 * Live per-process network connections for the sampler (Linux), cheap enough to run beside it.
 *
 * Cost model (measured: reading /proc/net/tcp walks the kernel's whole connection hash, about
 * 2 ms per read even when it holds three sockets, so the tables are the expensive part):
 * - hot passes: nothing is read, the last lists are carried;
 * - full passes: only processes worth a look are considered (busy ones, GPU users, processes
 *   that appeared since the previous full pass, and those that had connections); when there are
 *   none, nothing is read. The fd tables (one readdir + a readlink per fd) of candidates not
 *   looked at in the previous pass and of those with connections are walked; the socket tables
 *   are read only when a walk finds a socket inode we have no row for and that the cheap Unix and
 *   netlink tables do not list either, or every `refreshMs`
 *   (states change, long-running candidates open new connections; every candidate is walked then).
 * Socket inodes per process, the table rows they map to, and the inodes known not to be
 * TCP/UDP (Unix sockets) are cached between full passes; all of it is pruned every full pass
 * to what the current candidates hold, so memory follows the candidates, not the machine.
 */
import type { TraceConn } from '../../../../shared/trace.js';
import { type ConnEntry, type ConnProc, type ConnSource, sameConns } from '../conns.js';
import {
  type NetSocket,
  nodeProcNetFs,
  type ProcNetFs,
  readLocalSocketInodes,
  readNetTables,
  readSocketInodes,
  toTraceConn,
} from './proc-net.js';

export interface LinuxConnTrackerOptions {
  procRoot?: string;
  fs?: ProcNetFs;
  /** CPU % (of one core) at which a process is worth a look. Default 1. */
  busyCpu?: number;
  /** At most this many processes are looked at per full pass (the busiest first). Default 256. */
  maxCandidates?: number;
  /** Socket inodes remembered per process (a server with more is cut). Default 4096. */
  maxInodesPerProc?: number;
  /** The socket tables are read again at least this often while there are candidates. Default 5 min. */
  refreshMs?: number;
}

interface PidState {
  startTimeMs: number;
  /** Network namespace link (`net:[4026531840]`), null when unreadable (the reader's own tables). */
  ns: string | null;
  /** Socket inodes from the last fd walk; null when its fd table cannot be read. */
  inodes: number[] | null;
  walkedPass: number;
  entry: ConnEntry | null;
}

export interface ConnTrackerStats {
  fullPasses: number;
  /** Processes looked at, fd tables walked and socket table sets read, over the tracker's life. */
  candidates: number;
  walks: number;
  tableReads: number;
  /** Current cache sizes. */
  trackedPids: number;
  rows: number;
}

/** Connected sockets only: a listening TCP or an unconnected UDP socket is no connection. */
function connected(s: NetSocket): boolean {
  return s.state !== 'LISTEN' && s.state !== 'UNCONN';
}

function connKey(c: TraceConn): string {
  return `${c.proto} ${c.remote} ${c.state}`;
}

export class LinuxConnTracker implements ConnSource {
  private readonly root: string;
  private readonly fs: ProcNetFs;
  private readonly busyCpu: number;
  private readonly maxCandidates: number;
  private readonly maxInodesPerProc: number;
  private readonly refreshMs: number;
  private readonly pids = new Map<number, PidState>();
  /** pid → start time of every process at the previous full pass ("new" means not in here). */
  private lastSeen: Map<number, number> | null = null;
  /** Table rows of the inodes candidates hold (TCP/UDP sockets), from the last table read. */
  private rows = new Map<number, NetSocket>();
  /** Inodes candidates hold that the last table read did not list (Unix, netlink sockets). */
  private notInet = new Set<number>();
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private current = new Map<number, ConnEntry>();
  private pass = 0;
  private selfNs: string | null | undefined;
  private readonly counters = { fullPasses: 0, candidates: 0, walks: 0, tableReads: 0 };
  /** The last table read error, if any (kept for diagnostics). */
  lastError: string | null = null;

  constructor(opts: LinuxConnTrackerOptions = {}) {
    this.root = opts.procRoot ?? '/proc';
    this.fs = opts.fs ?? nodeProcNetFs;
    this.busyCpu = opts.busyCpu ?? 1;
    this.maxCandidates = opts.maxCandidates ?? 256;
    this.maxInodesPerProc = opts.maxInodesPerProc ?? 4096;
    this.refreshMs = opts.refreshMs ?? 300_000;
  }

  stats(): ConnTrackerStats {
    return { ...this.counters, trackedPids: this.pids.size, rows: this.rows.size };
  }

  update(
    procs: readonly ConnProc[],
    pass: { full: boolean; watch: readonly number[]; at: number },
  ): ReadonlyMap<number, ConnEntry> {
    if (!pass.full) return this.current;
    const passNo = ++this.pass;
    this.counters.fullPasses++;
    const watched = pass.watch.length > 0 ? new Set(pass.watch) : null;
    const lastSeen = this.lastSeen;
    const seen = new Map<number, number>();
    const candidates: ConnProc[] = [];
    for (const p of procs) {
      seen.set(p.pid, p.startTimeMs);
      const state = this.pids.get(p.pid);
      if (state && state.startTimeMs !== p.startTimeMs) this.pids.delete(p.pid); // pid reused
      const hadConns = state?.startTimeMs === p.startTimeMs && (state.entry?.conns.length ?? 0) > 0;
      // The first pass has no "before": processes already running count as new only when busy.
      const isNew = lastSeen !== null && lastSeen.get(p.pid) !== p.startTimeMs;
      if (p.cpu >= this.busyCpu || hadConns || isNew || watched?.has(p.pid)) candidates.push(p);
    }
    this.lastSeen = seen;
    if (candidates.length > this.maxCandidates) {
      candidates.sort((a, b) => b.cpu - a.cpu);
      candidates.length = this.maxCandidates;
    }
    this.counters.candidates += candidates.length;
    const next = new Map<number, ConnEntry>();
    if (candidates.length === 0) {
      this.pids.clear();
      this.rows.clear();
      this.notInet.clear();
      this.current = next;
      return next;
    }

    // Walk the fd tables of candidates not looked at in the previous pass and of those with
    // connections (a closed one shows as a missing fd, no table needed); everyone's when the
    // rows are due for a refresh (long-running candidates may hold new sockets).
    const stale = !(pass.at - this.lastReadAt < this.refreshMs && pass.at >= this.lastReadAt);
    if (this.selfNs === undefined) this.selfNs = this.readNs('self');
    const states: PidState[] = [];
    const unknown = new Map<string, number[]>(); // net folder -> inodes without a row
    for (const p of candidates) {
      let s = this.pids.get(p.pid);
      if (!s) {
        s = { startTimeMs: p.startTimeMs, ns: this.readNs(String(p.pid)), inodes: null, walkedPass: 0, entry: null };
        this.pids.set(p.pid, s);
      }
      states.push(s);
      if (stale || s.walkedPass !== passNo - 1 || s.inodes === null || (s.entry?.conns.length ?? 0) > 0) {
        this.walk(p.pid, s);
        for (const inode of s.inodes ?? []) {
          if (this.rows.has(inode) || this.notInet.has(inode)) continue;
          const dir = this.netDir(p.pid, s);
          const list = unknown.get(dir);
          if (list) list.push(inode);
          else unknown.set(dir, [inode]);
        }
      }
      s.walkedPass = passNo;
    }
    // New sockets are mostly Unix ones (every GUI program opens them): those tables are cheap to
    // read, so they are asked first, and the TCP/UDP tables only for what remains unexplained.
    let unknownInode = false;
    for (const [dir, inodes] of unknown) {
      const local = readLocalSocketInodes(dir, this.fs);
      for (const inode of inodes) {
        if (local.has(inode)) this.notInet.add(inode);
        else unknownInode = true;
      }
    }

    // Read the socket tables only when a socket is unaccounted for, or the rows are getting old.
    if (unknownInode || stale) {
      this.readTables(candidates, states);
      this.lastReadAt = pass.at;
    }

    for (let i = 0; i < candidates.length; i++) {
      const p = candidates[i]!;
      const s = states[i]!;
      const list: TraceConn[] = [];
      for (const inode of s.inodes ?? []) {
        const sock = this.rows.get(inode);
        if (sock && connected(sock)) list.push(toTraceConn(sock));
      }
      list.sort((a, b) => (connKey(a) < connKey(b) ? -1 : connKey(a) > connKey(b) ? 1 : 0));
      const prev = s.entry;
      if (prev && sameConns(prev.conns, list)) {
        // Unchanged: the same object, so the encoder sees at a glance that nothing changed. An
        // empty list was already carried once (below) and is dropped.
        if (list.length > 0) next.set(p.pid, prev);
        else s.entry = null;
      } else if (list.length > 0 || prev) {
        // An empty list is carried once after a non-empty one, so the trace says they closed.
        s.entry = { startTimeMs: p.startTimeMs, conns: list };
        next.set(p.pid, s.entry);
      } else {
        s.entry = null;
      }
    }
    // Processes not looked at this pass need no state until they are looked at again, and the
    // socket caches keep only what the remaining candidates hold.
    for (const [pid, s] of this.pids) if (s.walkedPass !== passNo) this.pids.delete(pid);
    const held = new Set<number>();
    for (const s of states) for (const inode of s.inodes ?? []) held.add(inode);
    for (const inode of this.rows.keys()) if (!held.has(inode)) this.rows.delete(inode);
    for (const inode of this.notInet) if (!held.has(inode)) this.notInet.delete(inode);
    this.current = next;
    return next;
  }

  private walk(pid: number, s: PidState): void {
    this.counters.walks++;
    const inodes = readSocketInodes(this.root, pid, this.fs);
    s.inodes = inodes && inodes.length > this.maxInodesPerProc ? inodes.slice(0, this.maxInodesPerProc) : inodes;
  }

  /** One read of the socket tables per network namespace the candidates live in. */
  private readTables(candidates: readonly ConnProc[], states: readonly PidState[]): void {
    const namespaces = new Map<string, string>(); // ns key -> net folder
    for (let i = 0; i < candidates.length; i++) {
      const s = states[i]!;
      if (!s.inodes || s.inodes.length === 0) continue;
      const key = s.ns ?? this.selfNs ?? 'self';
      if (!namespaces.has(key)) namespaces.set(key, this.netDir(candidates[i]!.pid, s));
    }
    const errors: string[] = [];
    const tables = new Map<number, NetSocket>();
    for (const dir of namespaces.values()) {
      this.counters.tableReads++;
      for (const [inode, row] of readNetTables(dir, this.fs, errors)) tables.set(inode, row);
    }
    this.lastError = errors[0] ?? null;
    this.rows = new Map();
    this.notInet = new Set();
    for (const s of states) {
      for (const inode of s.inodes ?? []) {
        const row = tables.get(inode);
        if (row) this.rows.set(inode, row);
        else this.notInet.add(inode);
      }
    }
  }

  /** The net folder whose tables list this process's sockets (its network namespace's). */
  private netDir(pid: number, s: PidState): string {
    return s.ns === null || s.ns === this.selfNs ? `${this.root}/net` : `${this.root}/${pid}/net`;
  }

  private readNs(entry: string): string | null {
    try {
      return this.fs.readlink(`${this.root}/${entry}/ns/net`);
    } catch {
      return null;
    }
  }
}
