import type { ActionResult, ActionTarget, ProcessAction } from '../../../shared/actions.js';
import type { LiveProcess, PollState, ProcessInspector } from './process-inspector.js';
import { signalFailure } from './signal-errors.js';
import { type CheckContext, checkTarget, defaultInspector } from './target-check.js';
import { formatSeconds, waitWhile } from './wait-for-state.js';
import { killOnWindows, type WindowsKillTools } from './windows-kill.js';

/*
 * Every action re-reads the process right before signalling it and compares pid + start time
 * with what the user saw. What remains is the gap between that read and the signal (microseconds):
 * closing it would need pidfd_send_signal, which Node does not offer. For the pid to be reused in
 * that gap the process would have to exit and the kernel cycle through every other pid first.
 */

type Failure = Extract<ActionResult, { ok: false }>;

export type SignalSender = (pid: number, signal: NodeJS.Signals | 0) => void;

export interface ActionOptions {
  /** Reads live processes; defaults to this platform's (/proc on Linux). */
  inspector?: ProcessInspector;
  /** Defaults to process.kill. */
  sendSignal?: SignalSender;
  /** Idlewatch's own pid, the start of the protected lineage; defaults to process.pid. */
  selfPid?: number;
  /** How often to look while waiting for a signal to take effect. Default 50 ms. */
  pollMs?: number;
  /** The app's main process (pid + start time) when the engine runs under it: see CheckContext. */
  appRoot?: ActionTarget | null;
  /** Children the engine started; default the live registry. */
  ownChildren?: readonly number[];
}

export interface KillOptions extends ActionOptions {
  /** How long the process gets to exit after SIGTERM before SIGKILL. Default 3000 ms. */
  graceMs?: number;
  /** How long to wait for SIGKILL to take effect before reporting failure. Default 2000 ms. */
  killWaitMs?: number;
  /** Windows: how taskkill is run (tests); default runFile on its System32 path. */
  windowsTools?: WindowsKillTools;
}

const DEFAULT_GRACE_MS = 3000;
const DEFAULT_KILL_WAIT_MS = 2000;
const DEFAULT_POLL_MS = 50;
/** SIGSTOP/SIGCONT act at the next scheduling point: a second is generous. */
const STATE_WAIT_MS = 1000;

const defaultSend: SignalSender = (pid, signal) => {
  process.kill(pid, signal);
};

/**
 * Ends the process: SIGTERM, up to `graceMs` to exit, then SIGKILL, then confirms it is gone.
 * On Windows: a polite `taskkill`, then `taskkill /T /F` (untested here).
 */
export async function killProcess(target: ActionTarget, opts: KillOptions = {}): Promise<ActionResult> {
  const inspector = opts.inspector ?? defaultInspector();
  const selfPid = opts.selfPid ?? process.pid;
  const check = checkContext(inspector, opts);
  const checked = await checkTarget('kill', target, check);
  if (!checked.ok) return checked;
  const send = opts.sendSignal ?? defaultSend;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const killWaitMs = opts.killWaitMs ?? DEFAULT_KILL_WAIT_MS;
  if (inspector.platform === 'win32') {
    return killOnWindows(target, checked.proc, {
      inspector,
      send,
      pollMs,
      graceMs,
      killWaitMs,
      check,
      ...(opts.windowsTools ? { tools: opts.windowsTools } : {}),
    });
  }
  const { proc } = checked;
  const label = `process ${proc.pid} (${proc.name})`;

  const term = trySignal('kill', proc, send, 'SIGTERM');
  if (term) return term;
  // A stopped process keeps SIGTERM pending until it runs again: let it run so it can exit.
  if (proc.status === 'stopped') trySignal('kill', proc, send, 'SIGCONT');
  let state = await waitWhile(inspector, target, (s) => s === 'running' || s === 'stopped', graceMs, pollMs);
  if (state === 'gone' || state === 'zombie') {
    return {
      ok: true,
      action: 'kill',
      pid: proc.pid,
      detail: `${label} exited after SIGTERM${await zombieNote(state, target, inspector, selfPid)}`,
    };
  }

  // Still there after the grace period, and still the same process: the last poll, a moment ago,
  // compared start times, so the pid has not changed hands.
  const kill = trySignal('kill', proc, send, 'SIGKILL');
  if (kill) return kill;
  state = await waitWhile(inspector, target, (s) => s === 'running' || s === 'stopped', killWaitMs, pollMs);
  const seconds = formatSeconds(graceMs);
  if (state === 'gone' || state === 'zombie') {
    return {
      ok: true,
      action: 'kill',
      pid: proc.pid,
      detail: `${label} ignored SIGTERM for ${seconds} and was killed with SIGKILL${await zombieNote(state, target, inspector, selfPid)}`,
    };
  }
  return {
    ok: false,
    action: 'kill',
    pid: proc.pid,
    code: 'failed',
    reason: `${label} is still there ${formatSeconds(killWaitMs)} after SIGKILL; it is probably stuck in the kernel (a driver or disk call) and will exit when that call returns`,
  };
}

/** Stops the process from running (SIGSTOP) until resumed; it keeps its memory and open files. */
export async function pauseProcess(target: ActionTarget, opts: ActionOptions = {}): Promise<ActionResult> {
  const inspector = opts.inspector ?? defaultInspector();
  if (inspector.platform === 'win32') return unsupportedOnWindows('pause', target.pid);
  const checked = await checkTarget('pause', target, checkContext(inspector, opts));
  if (!checked.ok) return checked;
  const { proc } = checked;
  const label = `process ${proc.pid} (${proc.name})`;
  if (proc.status === 'stopped')
    return { ok: true, action: 'pause', pid: proc.pid, detail: `${label} was already paused` };
  const failed = trySignal('pause', proc, opts.sendSignal ?? defaultSend, 'SIGSTOP');
  if (failed) return failed;
  const state = await waitWhile(
    inspector,
    target,
    (s) => s === 'running',
    STATE_WAIT_MS,
    opts.pollMs ?? DEFAULT_POLL_MS,
  );
  if (state === 'stopped') {
    return {
      ok: true,
      action: 'pause',
      pid: proc.pid,
      detail: `${label} is paused: it gets no CPU or GPU time until it is resumed or killed`,
    };
  }
  if (state === 'gone' || state === 'zombie')
    return { ok: false, action: 'pause', pid: proc.pid, code: 'gone', reason: `${label} exited` };
  return {
    ok: false,
    action: 'pause',
    pid: proc.pid,
    code: 'failed',
    reason: `sent SIGSTOP but ${label} is still running`,
  };
}

/** Lets a paused process run again (SIGCONT). */
export async function resumeProcess(target: ActionTarget, opts: ActionOptions = {}): Promise<ActionResult> {
  const inspector = opts.inspector ?? defaultInspector();
  if (inspector.platform === 'win32') return unsupportedOnWindows('resume', target.pid);
  const checked = await checkTarget('resume', target, checkContext(inspector, opts));
  if (!checked.ok) return checked;
  const { proc } = checked;
  const label = `process ${proc.pid} (${proc.name})`;
  if (proc.status !== 'stopped')
    return { ok: true, action: 'resume', pid: proc.pid, detail: `${label} was not paused: it is running` };
  const failed = trySignal('resume', proc, opts.sendSignal ?? defaultSend, 'SIGCONT');
  if (failed) return failed;
  const state = await waitWhile(
    inspector,
    target,
    (s) => s === 'stopped',
    STATE_WAIT_MS,
    opts.pollMs ?? DEFAULT_POLL_MS,
  );
  if (state === 'running') return { ok: true, action: 'resume', pid: proc.pid, detail: `${label} is running again` };
  if (state === 'gone' || state === 'zombie')
    return { ok: false, action: 'resume', pid: proc.pid, code: 'gone', reason: `${label} exited` };
  // Stopped by a debugger (state t) or stopped again at once by someone else.
  return {
    ok: false,
    action: 'resume',
    pid: proc.pid,
    code: 'failed',
    reason: `sent SIGCONT but ${label} is still stopped (a debugger may be holding it)`,
  };
}

function checkContext(inspector: ProcessInspector, opts: ActionOptions): CheckContext {
  return {
    inspector,
    selfPid: opts.selfPid ?? process.pid,
    ...(opts.appRoot ? { appRoot: opts.appRoot } : {}),
    ...(opts.ownChildren ? { ownChildren: opts.ownChildren } : {}),
  };
}

function unsupportedOnWindows(action: ProcessAction, pid: number): Failure {
  return {
    ok: false,
    action,
    pid,
    code: 'unsupported',
    reason: 'pausing is not supported on Windows: Idlewatch can kill the process or allowlist it instead',
  };
}

/**
 * Sends one signal. Signal 0 first: it checks permission without doing anything, so a
 * permission failure never leaves half an action behind.
 */
function trySignal(
  action: ProcessAction,
  proc: LiveProcess,
  send: SignalSender,
  signal: NodeJS.Signals,
): Failure | null {
  try {
    send(proc.pid, 0);
    send(proc.pid, signal);
    return null;
  } catch (e) {
    return signalFailure(action, proc.pid, e, proc);
  }
}

/** A zombie no longer runs: only its exit status waits for its parent. Say so, and whose it is. */
async function zombieNote(
  state: PollState,
  target: ActionTarget,
  inspector: ProcessInspector,
  selfPid: number,
): Promise<string> {
  if (state !== 'zombie') return '';
  const z = await inspector.inspect(target.pid);
  if (z?.status !== 'zombie') return '';
  return z.ppid === selfPid
    ? '; it no longer runs and remains a zombie only until Idlewatch, its parent, collects its exit status'
    : `; it no longer runs and remains a zombie until its parent (pid ${z.ppid}) collects its exit status`;
}
