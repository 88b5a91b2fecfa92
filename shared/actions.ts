/**
 * Kill / pause / resume of a process the engine reported, as the CLI, the app and the renderer
 * see them. Every action re-checks, right before acting, that the pid still belongs to the process
 * the user saw (pid + start time), so a reused pid is never touched.
 */

export type ProcessAction = 'kill' | 'pause' | 'resume';

/** The process as the engine saw it: pid alone is reused by the OS, pid + start time is not. */
export interface ActionTarget {
  pid: number;
  /** Start time, epoch ms, exactly as the engine reported it (`EngineProc.startTimeMs`). */
  startTimeMs: number;
  /** Executable path as the engine saw it; when given, a process that has since exec'd another program is refused. */
  exe?: string | null;
  /**
   * The user confirmed a second time that this process may be killed although the desktop session
   * depends on it (display server, compositor, session bus, sound server, login session). Without
   * it such a kill is answered with code `confirm`; it never allows a pause.
   */
  confirmed?: boolean;
}

/**
 * Why nothing (or not everything) was done:
 * - `gone`: the process had already exited.
 * - `reused`: the pid now belongs to another process, or the process now runs another program.
 * - `protected`: the OS's own processes (init, kernel threads, Windows system processes).
 * - `self`: Idlewatch itself or one of the processes that started it.
 * - `permission`: another user's process and Idlewatch lacks the rights.
 * - `unsupported`: the platform has no such operation (pausing on Windows).
 * - `failed`: the signal was sent but the outcome was not reached (for example a process stuck in the kernel).
 * - `session`: the desktop session depends on the process (display server, compositor, session bus,
 *   sound server, login session): it is never paused.
 * - `confirm`: a kill of such a process, which needs a second confirmation (`ActionTarget.confirmed`).
 */
export type ActionFailureCode =
  | 'gone'
  | 'reused'
  | 'protected'
  | 'self'
  | 'permission'
  | 'unsupported'
  | 'failed'
  | 'session'
  | 'confirm';

export type ActionResult =
  | { ok: true; action: ProcessAction; pid: number; detail: string }
  | { ok: false; action: ProcessAction; pid: number; reason: string; code: ActionFailureCode };
