import type { ActionResult, ProcessAction } from '../../../shared/actions.js';

type Failure = Extract<ActionResult, { ok: false }>;

/** Who owns the process, for the permission message. */
export interface Owner {
  name: string;
  user: string | null;
}

/**
 * Turns an error from process.kill into a refusal. EPERM means the process belongs to another
 * user and Idlewatch lacks the rights (CAP_KILL on Linux, administrator on Windows).
 */
export function signalFailure(action: ProcessAction, pid: number, err: unknown, owner: Owner | null): Failure {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EPERM' || code === 'EACCES') return permissionDenied(action, pid, owner?.user ?? null);
  if (code === 'ESRCH')
    return { ok: false, action, pid, code: 'gone', reason: `process ${pid} has exited: nothing was done` };
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, action, pid, code: 'failed', reason: `could not signal process ${pid}: ${message}` };
}

export function permissionDenied(action: ProcessAction, pid: number, user: string | null): Failure {
  const whose = user ? `belongs to user ${user}` : 'belongs to another user';
  return {
    ok: false,
    action,
    pid,
    code: 'permission',
    reason: `permission denied: process ${pid} ${whose}; run Idlewatch as that user or with administrator rights`,
  };
}
