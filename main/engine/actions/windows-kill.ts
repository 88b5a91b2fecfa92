import type { ActionResult, ActionTarget } from '../../../shared/actions.js';
import { runFile } from '../util/exec.js';
import type { LiveProcess, ProcessInspector } from './process-inspector.js';
import type { SignalSender } from './process-actions.js';
import { permissionDenied, signalFailure } from './signal-errors.js';
import { identityFailure } from './target-check.js';
import { formatSeconds, waitWhile } from './wait-for-state.js';

interface WindowsKillContext {
  inspector: ProcessInspector;
  send: SignalSender;
  pollMs: number;
  graceMs: number;
  killWaitMs: number;
}

/**
 * Windows has no SIGTERM. A plain `taskkill /PID n` asks the program's windows to close (the
 * polite request); after the grace period `taskkill /PID n /T /F` ends it and the processes it
 * started. If taskkill cannot run, process.kill (TerminateProcess) is the fallback.
 * UNTESTED: no Windows machine in this workplace.
 */
export async function killOnWindows(
  target: ActionTarget,
  proc: LiveProcess,
  ctx: WindowsKillContext,
): Promise<ActionResult> {
  const pid = proc.pid;
  const label = `process ${pid} (${proc.name})`;
  try {
    ctx.send(pid, 0);
  } catch (e) {
    return signalFailure('kill', pid, e, proc);
  }
  // Console programs (most miners) have no window to close: this polite step then fails, which is expected.
  await runFile('taskkill', ['/PID', String(pid)], { timeoutMs: 10_000 });
  const running = (s: string) => s === 'running' || s === 'stopped';
  if (!running(await waitWhile(ctx.inspector, target, running, ctx.graceMs, ctx.pollMs))) {
    return { ok: true, action: 'kill', pid, detail: `${label} closed when asked` };
  }
  // Windows reuses pids quickly: check the start time again before forcing.
  const again = await ctx.inspector.inspect(pid);
  if (!again || identityFailure('kill', target, again, ctx.inspector)) {
    return { ok: true, action: 'kill', pid, detail: `${label} closed when asked` };
  }
  const forced = await runFile('taskkill', ['/PID', String(pid), '/T', '/F'], { timeoutMs: 15_000 });
  if (!forced.ok) {
    const text = `${forced.stderr}\n${forced.stdout}`;
    if (/access is denied/i.test(text)) return permissionDenied('kill', pid, proc.user);
    if (forced.code === null) {
      // taskkill itself could not run: end the process directly.
      try {
        ctx.send(pid, 'SIGKILL');
      } catch (e) {
        return signalFailure('kill', pid, e, proc);
      }
    }
  }
  if (!running(await waitWhile(ctx.inspector, target, running, ctx.killWaitMs, ctx.pollMs))) {
    return {
      ok: true,
      action: 'kill',
      pid,
      detail: `${label} did not close within ${formatSeconds(ctx.graceMs)} and was ended with taskkill /F, with the processes it started`,
    };
  }
  return {
    ok: false,
    action: 'kill',
    pid,
    code: 'failed',
    reason: `${label} is still running after taskkill /F${forced.error ? ` (${forced.error})` : ''}`,
  };
}
