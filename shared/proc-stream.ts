/**
 * The engine → window process stream. Every process's identity (name, executable, command line,
 * user, parent, start time) goes to the window once, and again only when it changes (exec); after
 * that a tick carries only the figures that moved and the processes that left. Every string is cut
 * to what the window shows: a command line can be 256 KiB, and any local user can start a thousand
 * of them, so a full list each second would be tens of megabytes. The whole value stays one request
 * away (`process:details`).
 *
 * Pure and self-contained: the engine service encodes, the renderer decodes, tests and benchmarks
 * use both.
 */
import type { EngineProc } from './engine-types.js';
import type { ProcessIdentity } from './identity.js';

/** What the window shows of each string (the table's cells and tooltips); longer values are cut. */
export const STREAM_TEXT_LIMITS = { name: 64, exe: 300, cmdline: 300, user: 64 } as const;

/**
 * Characters of identity text one message may carry. New processes beyond it wait for the next tick,
 * so a message stays bounded (about 0.5 MB) however many processes start at once or hold long
 * strings; a thousand processes at the caps fill about two ticks.
 */
export const IDENTITY_BUDGET_CHARS = 256 * 1024;

/** A live process as the window holds it: the capped identity and the figures the screens show. */
export interface LiveProc extends ProcessIdentity {
  cpu: number;
  gpu: number | null;
  gpuMemMiB: number | null;
  gpuId: string | null;
  /** Some string was cut to the stream's limits (the details drawer has the whole value). */
  cut: boolean;
}

/** A process's identity as the stream sends it: once, and again after an exec. */
export interface StreamIdentity extends ProcessIdentity {
  /** The stream's own short id for this process (figures and removals refer to it). */
  id: number;
  cut: boolean;
}

/** One process's figures: [id, cpu %, gpu %, GPU memory MiB, GPU id]. */
export type StreamFigures = [
  id: number,
  cpu: number,
  gpu: number | null,
  gpuMemMiB: number | null,
  gpuId: string | null,
];

export interface ProcDelta {
  /** This message's number; the next one's base. */
  seq: number;
  /** The message this one follows; null for a keyframe (drop everything held, then apply). */
  base: number | null;
  /** New processes, and processes whose identity changed (same id). */
  ids: StreamIdentity[];
  /** Figures of new processes and of those whose figures changed since the last message. */
  figs: StreamFigures[];
  /** Ids of processes that left. */
  gone: number[];
  /** How many processes the window holds once it applied this message (a check). */
  count: number;
  /** Processes alive but not sent yet (identity budget spent); they follow in the next messages. */
  pending: number;
}

/** `s` cut to `max` characters, the last one an ellipsis; a surrogate pair is never split. */
export function capText(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}

/** Figures are sent at the window's resolution, so noise below it is not a change. */
const round1 = (v: number): number => Math.round(v * 10) / 10;
const round1n = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);

interface Held {
  id: number;
  startTimeMs: number;
  /** The engine's row last looked at: the sampler reuses the object while nothing moved. */
  src: EngineProc | null;
  ppid: number | null;
  name: string;
  exe: string | null;
  cmdline: string;
  user: string | null;
  cpu: number;
  gpu: number | null;
  gpuMemMiB: number | null;
  gpuId: string | null;
  stamp: number;
}

function identityCost(p: EngineProc): number {
  const L = STREAM_TEXT_LIMITS;
  return (
    64 +
    Math.min(p.name.length, L.name) +
    Math.min(p.exe?.length ?? 0, L.exe) +
    Math.min(p.cmdline.length, L.cmdline) +
    Math.min(p.user?.length ?? 0, L.user)
  );
}

function streamIdentity(id: number, p: EngineProc): StreamIdentity {
  const L = STREAM_TEXT_LIMITS;
  const name = capText(p.name, L.name);
  const exe = p.exe === null ? null : capText(p.exe, L.exe);
  const cmdline = capText(p.cmdline, L.cmdline);
  const user = p.user === null ? null : capText(p.user, L.user);
  const cut = name !== p.name || exe !== p.exe || cmdline !== p.cmdline || user !== p.user;
  return { id, pid: p.pid, ppid: p.ppid, startTimeMs: p.startTimeMs, name, exe, cmdline, user, cut };
}

/** Takes the row's figures into what the window holds, with a figures row when any moved. */
function moveFigures(h: Held, p: EngineProc, figs: StreamFigures[]): void {
  const cpu = round1(p.cpu);
  const gpu = round1n(p.gpu);
  if (cpu !== h.cpu || gpu !== h.gpu || p.gpuMemMiB !== h.gpuMemMiB || p.gpuId !== h.gpuId) {
    h.cpu = cpu;
    h.gpu = gpu;
    h.gpuMemMiB = p.gpuMemMiB;
    h.gpuId = p.gpuId;
    figs.push([h.id, cpu, gpu, p.gpuMemMiB, p.gpuId]);
  }
}

/**
 * The engine's side: one per stream. `encode` turns each sample's process list into the message
 * for the window; `reset` makes the next message a keyframe (a window (re)subscribed).
 */
export class ProcStreamEncoder {
  /** By pid; the start time tells a reused pid from the process held. */
  private readonly held = new Map<number, Held>();
  private nextId = 1;
  private seq = 0;
  private stamp = 0;
  private keyframe = true;
  /** Last message's rows, for the shortcut when the process list is the same (null: none, or pending). */
  private lastRows: readonly EngineProc[] | null = null;

  constructor(private readonly budgetChars = IDENTITY_BUDGET_CHARS) {}

  reset(): void {
    this.held.clear();
    this.keyframe = true;
    this.lastRows = null;
  }

  /** How many processes the window holds. */
  get size(): number {
    return this.held.size;
  }

  encode(procs: readonly EngineProc[]): ProcDelta {
    const same = this.sameList(procs);
    const delta = same ?? this.everyProc(procs);
    // With identities still waiting (pending), every process is looked at again next time.
    this.lastRows = delta.pending === 0 ? procs : null;
    return delta;
  }

  /**
   * The message when the engine handed out the same processes at the same places as last time
   * (a quiet process keeps its row object from tick to tick): only rows that are new objects can
   * have moved. Null when the list changed.
   */
  private sameList(procs: readonly EngineProc[]): ProcDelta | null {
    const last = this.lastRows;
    if (last === null || this.keyframe || last.length !== procs.length) return null;
    const changed: number[] = [];
    for (let i = 0; i < procs.length; i++) {
      const p = procs[i]!;
      const q = last[i]!;
      if (p === q) continue;
      if (p.pid !== q.pid || p.startTimeMs !== q.startTimeMs) return null;
      changed.push(i);
    }
    // Looked at before anything is updated: an exec (rare, and under the identity budget) or a
    // process the window does not hold yet leaves the message to the whole walk.
    for (const i of changed) {
      const p = procs[i]!;
      const h = this.held.get(p.pid);
      if (h === undefined || h.startTimeMs !== p.startTimeMs || h.src === null) return null;
      if (h.name !== p.name || h.exe !== p.exe || h.cmdline !== p.cmdline || h.user !== p.user || h.ppid !== p.ppid)
        return null;
    }
    const figs: StreamFigures[] = [];
    for (const i of changed) {
      const p = procs[i]!;
      const h = this.held.get(p.pid)!;
      h.src = p;
      moveFigures(h, p, figs);
    }
    this.seq++;
    return { seq: this.seq, base: this.seq - 1, ids: [], figs, gone: [], count: this.held.size, pending: 0 };
  }

  private everyProc(procs: readonly EngineProc[]): ProcDelta {
    const stamp = ++this.stamp;
    const ids: StreamIdentity[] = [];
    const figs: StreamFigures[] = [];
    const gone: number[] = [];
    let budget = this.budgetChars;
    let pending = 0;
    for (const p of procs) {
      let h = this.held.get(p.pid);
      if (h !== undefined && h.startTimeMs !== p.startTimeMs) {
        // The pid was reused: the process held left, this is another one.
        gone.push(h.id);
        this.held.delete(p.pid);
        h = undefined;
      }
      if (h === undefined) {
        const cost = identityCost(p);
        if (cost > budget && ids.length > 0) {
          pending++;
          continue;
        }
        budget -= cost;
        const id = this.nextId++;
        h = {
          id,
          startTimeMs: p.startTimeMs,
          src: p,
          ppid: p.ppid,
          name: p.name,
          exe: p.exe,
          cmdline: p.cmdline,
          user: p.user,
          cpu: round1(p.cpu),
          gpu: round1n(p.gpu),
          gpuMemMiB: p.gpuMemMiB,
          gpuId: p.gpuId,
          stamp,
        };
        this.held.set(p.pid, h);
        ids.push(streamIdentity(id, p));
        figs.push([id, h.cpu, h.gpu, h.gpuMemMiB, h.gpuId]);
        continue;
      }
      h.stamp = stamp;
      if (h.src === p) continue;
      if (h.name !== p.name || h.exe !== p.exe || h.cmdline !== p.cmdline || h.user !== p.user || h.ppid !== p.ppid) {
        const cost = identityCost(p);
        if (cost > budget && ids.length > 0) {
          // Sent with a later message; looked at again next tick.
          h.src = null;
          pending++;
          continue;
        }
        budget -= cost;
        h.name = p.name;
        h.exe = p.exe;
        h.cmdline = p.cmdline;
        h.user = p.user;
        h.ppid = p.ppid;
        ids.push(streamIdentity(h.id, p));
      }
      h.src = p;
      moveFigures(h, p, figs);
    }
    for (const [pid, h] of this.held) {
      if (h.stamp !== stamp) {
        gone.push(h.id);
        this.held.delete(pid);
      }
    }
    const base = this.keyframe ? null : this.seq;
    this.keyframe = false;
    this.seq++;
    return { seq: this.seq, base, ids, figs, gone, count: this.held.size, pending };
  }
}

/**
 * The window's side: applies messages in order and hands out the process list. `apply` returns
 * false when a message does not follow the one applied last (the window then subscribes again and
 * gets a keyframe); until a keyframe arrives, messages are ignored.
 */
export class ProcStreamDecoder {
  private readonly byId = new Map<number, LiveProc>();
  private seq: number | null = null;
  private list: LiveProc[] | null = null;

  /** Forget everything: the next message accepted is a keyframe. */
  reset(): void {
    this.byId.clear();
    this.seq = null;
    this.list = null;
  }

  get synced(): boolean {
    return this.seq !== null;
  }

  apply(d: ProcDelta): boolean {
    if (d.base === null) this.byId.clear();
    else if (d.base !== this.seq) {
      this.reset();
      return false;
    }
    for (const id of d.gone) this.byId.delete(id);
    for (const s of d.ids) {
      const was = this.byId.get(s.id);
      this.byId.set(s.id, {
        pid: s.pid,
        ppid: s.ppid,
        startTimeMs: s.startTimeMs,
        name: s.name,
        exe: s.exe,
        cmdline: s.cmdline,
        user: s.user,
        cut: s.cut,
        cpu: was?.cpu ?? 0,
        gpu: was?.gpu ?? null,
        gpuMemMiB: was?.gpuMemMiB ?? null,
        gpuId: was?.gpuId ?? null,
      });
    }
    for (const [id, cpu, gpu, gpuMemMiB, gpuId] of d.figs) {
      const p = this.byId.get(id);
      // A new object for a changed row: the table's memoised rows compare by value, React by reference.
      if (p) this.byId.set(id, { ...p, cpu, gpu, gpuMemMiB, gpuId });
    }
    this.seq = d.seq;
    if (d.base === null || d.ids.length > 0 || d.figs.length > 0 || d.gone.length > 0) this.list = null;
    if (this.byId.size !== d.count) {
      this.reset();
      return false;
    }
    return true;
  }

  /** The processes held, in the order the engine introduced them (the same array until one changes). */
  procs(): LiveProc[] {
    this.list ??= [...this.byId.values()];
    return this.list;
  }
}
