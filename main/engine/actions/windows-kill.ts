import type { ActionResult, ActionTarget } from '../../../shared/actions.js';
import { systemToolPath } from '../platform/win32/system-tools.js';
import { type RunResult, runFile } from '../util/exec.js';
import type { LiveProcess, ProcessInspector } from './process-inspector.js';
import type { SignalSender } from './process-actions.js';
import { processProtection } from './protection.js';
import { permissionDenied, signalFailure } from './signal-errors.js';
import { type CheckContext, identityFailure, ownProcessesFor } from './target-check.js';
import { formatSeconds, waitWhile } from './wait-for-state.js';

export interface WindowsKillTools {
  /** taskkill.exe to run; default %SystemRoot%\System32\taskkill.exe, never a PATH lookup. */
  taskkill: string;
  /** How long the polite request may take. Default 10 000 ms. */
  politeTimeoutMs?: number;
  /** How long the forced end may take. Default 15 000 ms. */
  forceTimeoutMs?: number;
}

interface WindowsKillContext {
  inspector: ProcessInspector;
  send: SignalSender;
  pollMs: number;
  graceMs: number;
  killWaitMs: number;
  /** The same context the first check used: the children are checked against the same rules. */
  check: CheckContext;
  tools?: WindowsKillTools;
}

/** A process tree deeper or wider than this is not a program's own helpers; the rest is left alone. */
const MAX_CHILDREN = 64;

/**
 * Windows has no SIGTERM. A plain `taskkill /PID n` asks the program's windows to close (the
 * polite request); after the grace period `taskkill /F` ends it and the processes it started. Pids
 * are reused quickly on Windows, so the identity (pid + start time) is read again before every
 * escalation: after the polite request (also when taskkill timed out), before the forced end, and
 * before the last resort (TerminateProcess through process.kill) when taskkill could not run or
 * did not answer. Its children are not ended with `/T`, which would take every descendant blindly:
 * each is read, must have started after the target (Windows keeps a dead parent's pid in
 * ParentProcessId, and that pid may have been reused), and is checked against the protection rules;
 * only those that pass are named with their own `/PID`.
 * UNTESTED on Windows itself: no Windows machine in this workplace; the logic is tested with a
 * fake taskkill against real processes (test/actions-windows-kill.test.ts).
 */
export async function killOnWindows(
  target: ActionTarget,
  proc: LiveProcess,
  ctx: WindowsKillContext,
): Promise<ActionResult> {
  const pid = proc.pid;
  const label = `process ${pid} (${proc.name})`;
  const tools = ctx.tools ?? { taskkill: systemToolPath('taskkill') };
  const taskkill = (args: string[], timeoutMs: number): Promise<RunResult> =>
    runFile(tools.taskkill, args, { timeoutMs });
  try {
    ctx.send(pid, 0);
  } catch (e) {
    return signalFailure('kill', pid, e, proc);
  }
  // Console programs (most miners) have no window to close: this polite step then fails, which is expected.
  const politeTimeout = tools.politeTimeoutMs ?? 10_000;
  const polite = await taskkill(['/PID', String(pid)], politeTimeout);
  const politeNote = polite.timedOut ? ` (taskkill did not answer within ${formatSeconds(politeTimeout)})` : '';
  const running = (s: string) => s === 'running' || s === 'stopped';
  if (!running(await waitWhile(ctx.inspector, target, running, ctx.graceMs, ctx.pollMs))) {
    return { ok: true, action: 'kill', pid, detail: `${label} closed when asked` };
  }

  const beforeForce = await stillTarget(target, ctx, label);
  if (beforeForce) return beforeForce;
  const { kill: children, spared } = await childrenToEnd(proc, ctx);
  // Reading the children takes time (one query each): look once more right before forcing.
  const again = await stillTarget(target, ctx, label);
  if (again) return again;
  const pidArgs = [pid, ...children.map((c) => c.pid)].flatMap((p) => ['/PID', String(p)]);
  const forceTimeout = tools.forceTimeoutMs ?? 15_000;
  const forced = await taskkill(['/F', ...pidArgs], forceTimeout);
  let how = 'taskkill /F';
  if (!forced.ok) {
    const text = `${forced.stderr}\n${forced.stdout}`;
    if (/access is denied/i.test(text)) return permissionDenied('kill', pid, proc.user);
    if (forced.code === null) {
      // taskkill could not run or did not answer: end the process directly, if it is still the one.
      const last = await stillTarget(target, ctx, label);
      if (last) return last;
      try {
        ctx.send(pid, 'SIGKILL');
        how = forced.timedOut
          ? `TerminateProcess (taskkill /F did not answer within ${formatSeconds(forceTimeout)})`
          : 'TerminateProcess (taskkill could not run)';
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
      detail: `${label} did not close within ${formatSeconds(ctx.graceMs)}${politeNote} and was ended with ${how}${childrenText(children, spared)}`,
    };
  }
  return {
    ok: false,
    action: 'kill',
    pid,
    code: 'failed',
    reason: `${label} is still running after ${how}${forced.error ? ` (${forced.error})` : ''}`,
  };
}

/**
 * Null while the pid still belongs to the process the user chose; otherwise the result to give:
 * it exited (the goal), or the pid is someone else's now and nothing more is done to it.
 */
async function stillTarget(target: ActionTarget, ctx: WindowsKillContext, label: string): Promise<ActionResult | null> {
  const now = await ctx.inspector.inspect(target.pid);
  if (!now) return { ok: true, action: 'kill', pid: target.pid, detail: `${label} closed when asked` };
  const changed = identityFailure('kill', target, now, ctx.inspector);
  if (!changed) return null;
  if (changed.code === 'gone')
    return { ok: true, action: 'kill', pid: target.pid, detail: `${label} closed when asked` };
  return {
    ok: true,
    action: 'kill',
    pid: target.pid,
    detail: `${label} exited; pid ${target.pid} now belongs to another process (${now.name}), which was left alone`,
  };
}

interface Child {
  pid: number;
  name: string;
}

/** The target's descendants that may be ended, and those spared (with why). */
async function childrenToEnd(
  proc: LiveProcess,
  ctx: WindowsKillContext,
): Promise<{ kill: Child[]; spared: { child: Child; why: string }[] }> {
  const table = await ctx.inspector.parentTable();
  const kids = new Map<number, number[]>();
  for (const [child, parent] of table) {
    const list = kids.get(parent);
    if (list) list.push(child);
    else kids.set(parent, [child]);
  }
  const kill: Child[] = [];
  const spared: { child: Child; why: string }[] = [];
  const queue = [...(kids.get(proc.pid) ?? [])];
  const seen = new Set<number>([proc.pid]);
  while (queue.length > 0 && kill.length + spared.length < MAX_CHILDREN) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const c = await ctx.inspector.inspect(pid);
    if (!c) continue;
    // A process older than its supposed parent was started by an earlier owner of that pid.
    if (c.startTimeMs + ctx.inspector.startToleranceMs < proc.startTimeMs) continue;
    const prot = processProtection(c, ctx.inspector.platform, await ownProcessesFor(c, ctx.check));
    if (prot) {
      spared.push({
        child: { pid, name: c.name },
        why: prot.code === 'session' ? 'the session needs it' : 'protected',
      });
      continue; // nor anything below it
    }
    kill.push({ pid, name: c.name });
    queue.push(...(kids.get(pid) ?? []));
  }
  return { kill, spared };
}

function childrenText(kill: Child[], spared: { child: Child; why: string }[]): string {
  const name = (c: Child) => `${c.name} (${c.pid})`;
  let text = '';
  if (kill.length > 0) text += `, with the processes it started: ${kill.map(name).join(', ')}`;
  if (spared.length > 0) text += `; left alone: ${spared.map((s) => `${name(s.child)}, ${s.why}`).join('; ')}`;
  return text;
}
