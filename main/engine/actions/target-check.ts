import type { ActionResult, ActionTarget, ProcessAction } from '../../../shared/actions.js';
import { DarwinInspector } from './darwin-inspector.js';
import { type LiveProcess, LinuxInspector, type ProcessInspector } from './process-inspector.js';
import { pidProtection, processProtection, sameExecutable } from './protection.js';
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
  const lineage = await inspector.lineage(ctx.selfPid);
  const prot = processProtection(proc, inspector.platform, lineage);
  if (prot) return { ok: false, action, pid, ...prot };
  return { ok: true, proc };
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
