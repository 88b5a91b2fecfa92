import type { ActionResult, ActionTarget, ProcessAction } from '../../../shared/actions.js';
import { DarwinInspector } from './darwin-inspector.js';
import { type LiveProcess, LinuxInspector, MAX_LINEAGE_DEPTH, type ProcessInspector } from './process-inspector.js';
import { ownChildPids } from '../util/own-children.js';
import { type OwnProcesses, pidProtection, processProtection, sameExecutable } from './protection.js';
import { WindowsInspector } from './windows-inspector.js';

type Failure = Extract<ActionResult, { ok: false }>;

export function defaultInspector(platform: NodeJS.Platform = process.platform): ProcessInspector {
  if (platform === 'win32') return new WindowsInspector();
  if (platform === 'darwin') return new DarwinInspector();
  return new LinuxInspector();
}

export interface CheckContext {
  inspector: ProcessInspector;
  /** Idlewatch's own pid (the start of the protected lineage). */
  selfPid: number;
  /**
   * The app's main process when the engine runs under it (the Electron main process that forked
   * the engine), as pid + start time: the processes below it that run the same program (the
   * window's renderer, GPU and utility processes) are Idlewatch too. Used only while it is still
   * one of the engine's ancestors with that start time, so a reused pid protects nothing.
   */
  appRoot?: ActionTarget | null;
  /** Pids of children the engine started; default the live registry (util/own-children.ts). */
  ownChildren?: readonly number[];
}

/**
 * The checks every action makes right before acting: a real pid, still the same process
 * (pid + start time, and the same program when the caller knew it), not a zombie, not the
 * OS's own and not Idlewatch or its ancestors. Returns the live process, or why nothing was done.
 */
export async function checkTarget(
  action: ProcessAction,
  target: ActionTarget,
  ctx: CheckContext,
): Promise<{ ok: true; proc: LiveProcess } | Failure> {
  const { pid } = target;
  const { inspector } = ctx;
  const byPid = pidProtection(pid, inspector.platform);
  if (byPid) return { ok: false, action, pid, ...byPid };
  const proc = await inspector.inspect(pid);
  if (!proc) return { ok: false, action, pid, code: 'gone', reason: `process ${pid} has exited: nothing was done` };
  const identity = identityFailure(action, target, proc, inspector);
  if (identity) return identity;
  const own = await ownProcessesFor(proc, ctx);
  const prot = processProtection(proc, inspector.platform, own);
  if (prot?.code === 'session') {
    // Resuming is always safe; a pause is never allowed; a kill only once confirmed a second time.
    if (action === 'resume' || (action === 'kill' && target.confirmed === true)) return { ok: true, proc };
    if (action === 'pause') {
      return {
        ok: false,
        action,
        pid,
        code: 'session',
        reason: `${prot.reason}. Idlewatch never pauses it: a paused session process can leave you no way to click Resume. Nothing was done`,
      };
    }
    return {
      ok: false,
      action,
      pid,
      code: 'confirm',
      reason: `${prot.reason}. Kill it only if you are sure; confirm a second time to kill it. Nothing was done yet`,
    };
  }
  if (prot) return { ok: false, action, pid, ...prot };
  return { ok: true, proc };
}

/**
 * Idlewatch's lineage, and whether `proc` is one of Idlewatch's other processes: a child the engine
 * started (or one below it), or a process of the app under the app's main process running the
 * app's own program. Found by walking up from `proc` through the live parent table, so it costs one
 * table read whatever the number of processes.
 */
export async function ownProcessesFor(proc: LiveProcess, ctx: CheckContext): Promise<OwnProcesses> {
  const { inspector } = ctx;
  // One read of the process table for both walks (on Windows and macOS each read runs a tool).
  const table = await inspector.parentTable();
  const lineage = table.has(ctx.selfPid) ? walkUp(ctx.selfPid, table) : await inspector.lineage(ctx.selfPid);
  const others = new Map<number, string>();
  if (lineage.includes(proc.pid)) return { lineage, others };
  const up = walkUp(proc.pid, table);
  const children = new Set(ctx.ownChildren ?? ownChildPids());
  const helper = up.find((p) => children.has(p));
  if (helper !== undefined) {
    others.set(
      proc.pid,
      helper === proc.pid
        ? 'a helper program Idlewatch started itself'
        : `started by a helper program Idlewatch runs (pid ${helper})`,
    );
    return { lineage, others };
  }
  const root = ctx.appRoot;
  if (root && root.pid !== proc.pid && up.includes(root.pid) && lineage.includes(root.pid) && proc.exe) {
    const app = await inspector.inspect(root.pid);
    if (
      app?.exe &&
      Math.abs(app.startTimeMs - root.startTimeMs) <= inspector.startToleranceMs &&
      sameExecutable(app.exe, proc.exe, inspector.platform)
    ) {
      others.set(
        proc.pid,
        `one of Idlewatch's own processes (its window, GPU or utility process, under pid ${root.pid})`,
      );
    }
  }
  return { lineage, others };
}

/** `pid`, its parent, grandparent, … through the table (bounded, cycle-safe). */
function walkUp(pid: number, table: ReadonlyMap<number, number>): number[] {
  const chain = [pid];
  let cur = pid;
  while (chain.length < MAX_LINEAGE_DEPTH) {
    const parent = table.get(cur);
    if (parent === undefined || parent <= 0 || chain.includes(parent)) break;
    chain.push(parent);
    cur = parent;
  }
  return chain;
}

/** Null when `proc` is still the process the user saw; re-used after every wait, too. */
export function identityFailure(
  action: ProcessAction,
  target: ActionTarget,
  proc: LiveProcess,
  inspector: ProcessInspector,
): Failure | null {
  const { pid } = target;
  if (Math.abs(proc.startTimeMs - target.startTimeMs) > inspector.startToleranceMs) {
    return {
      ok: false,
      action,
      pid,
      code: 'reused',
      reason: `pid ${pid} now belongs to a different process (${proc.name}, started at ${isoTime(proc.startTimeMs)}): nothing was done`,
    };
  }
  if (proc.status === 'zombie') {
    return {
      ok: false,
      action,
      pid,
      code: 'gone',
      reason: `process ${pid} has exited (it remains only as a zombie until its parent, pid ${proc.ppid}, collects it): nothing was done`,
    };
  }
  if (target.exe && proc.exe && !sameExecutable(target.exe, proc.exe, inspector.platform)) {
    return {
      ok: false,
      action,
      pid,
      code: 'reused',
      reason: `process ${pid} now runs ${proc.exe}, not ${target.exe} (it replaced its program): nothing was done; look at it again before acting`,
    };
  }
  return null;
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'an unknown time';
}
