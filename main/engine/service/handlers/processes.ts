import type { ActionResult, ActionTarget, ProcessAction } from '../../../../shared/actions.js';
import { processKey } from '../../../../shared/identity.js';
import type { InvokeHandlers, ProcessDetails, ProcessKey } from '../../../../shared/ipc.js';
import { connectionsByPid, toTraceConn } from '../../platform/linux/proc-net.js';
import { userWritableReason } from '../../quarantine/user-writable.js';
import { hashPath } from '../../scan/exe-hashes.js';
import { incidentKey, liveProcFor } from '../incident-views.js';
import { connsOf, idleBands, parentChain, processSeries } from '../process-details.js';
import type { ServiceContext } from './context.js';

type Handlers = Pick<InvokeHandlers, 'process:details' | 'process:kill' | 'process:pause' | 'process:resume'>;

export function processHandlers(ctx: ServiceContext): Handlers {
  return {
    'process:details': (key, hash) => details(ctx, key, hash),
    'process:kill': (target) => act(ctx, 'kill', target),
    'process:pause': (target) => act(ctx, 'pause', target),
    'process:resume': (target) => act(ctx, 'resume', target),
  };
}

async function act(ctx: ServiceContext, action: ProcessAction, target: ActionTarget): Promise<ActionResult> {
  const monitor = ctx.monitor;
  // The UI knows the start time as the incident keeps it; act with the engine's exact identity.
  const latest = monitor.latest;
  const proc = latest ? liveProcFor({ pid: target.pid, startT: target.startTimeMs }, latest.procs) : null;
  const exact: ActionTarget = proc
    ? {
        pid: proc.pid,
        startTimeMs: proc.startTimeMs,
        exe: target.exe === undefined ? proc.exe : target.exe,
        // The user's second confirmation for a process the session depends on goes along.
        ...(target.confirmed === true ? { confirmed: true } : {}),
      }
    : target;
  const run = action === 'kill' ? monitor.kill : action === 'pause' ? monitor.pause : monitor.resume;
  const result = await run.call(monitor, exact);
  const key = processKey(exact);
  if (result.ok) {
    // Kept with the identity it had, so the tray and the window can name it and Resume can re-check it.
    if (action === 'pause') {
      ctx.pausedProcs.set(key, {
        pid: exact.pid,
        startTimeMs: exact.startTimeMs,
        name: proc?.name ?? `pid ${exact.pid}`,
        exe: proc?.exe ?? exact.exe ?? null,
        user: proc?.user ?? null,
        pausedAt: ctx.now(),
      });
    } else ctx.pausedProcs.delete(key);
  } else if (result.code === 'gone' || (result.code === 'reused' && !target.exe)) {
    // Gone, or its pid reused. A refusal naming another executable for the same pid and start time
    // is the caller's mistake (a stopped process cannot exec): that one stays listed as paused, and
    // the next sample drops it if it has really gone.
    ctx.pausedProcs.delete(key);
  }
  const inc = monitor.incidents().find((i) => i.pid === exact.pid && Math.abs(i.startT - exact.startTimeMs) < 1);
  if (inc) ctx.emit('incident:changed', { incident: ctx.view(inc, true), change: 'updated' });
  const who = proc ?? inc ?? null;
  ctx.activity({
    type: 'action',
    action,
    process: {
      pid: exact.pid,
      startTimeMs: exact.startTimeMs,
      name: who?.name ?? null,
      exe: who ? who.exe : (exact.exe ?? null),
      cmdline: who?.cmdline ?? null,
      user: who?.user ?? null,
    },
    ok: result.ok,
    code: result.ok ? null : result.code,
    detail: result.ok ? result.detail : result.reason,
  });
  ctx.emitStatus();
  return result;
}

async function details(ctx: ServiceContext, key: ProcessKey, hash: boolean): Promise<ProcessDetails | null> {
  const monitor = ctx.monitor;
  const k = processKey(key);
  const latest = monitor.latest;
  const proc = latest ? liveProcFor({ pid: key.pid, startT: key.startTimeMs }, latest.procs) : null;
  const liveInc = monitor.incidents().find((i) => incidentKey(i) === k);
  const inc = liveInc ?? ctx.historic.get(k) ?? null;
  const ident = proc ?? (inc ? { name: inc.name, exe: inc.exe, cmdline: inc.cmdline, user: inc.user } : null);
  if (!ident) return null;
  const history = monitor.recent();
  let conns = connsOf(proc);
  if (proc && conns.length === 0 && monitor.platform === 'linux') {
    // Not sampled for this process (quiet, or an older engine): read its sockets now, once.
    const r = connectionsByPid({ pids: [proc.pid], listening: false });
    conns = (r.byPid.get(proc.pid) ?? []).map(toTraceConn);
  }
  let sha256: string | null = null;
  if (hash && ident.exe) {
    const path = hashPath({ pid: key.pid, exe: ident.exe }, process.platform, '/proc');
    if (path) sha256 = await monitor.allowlist.hashCache.hashOf(path);
  }
  return {
    key: k,
    pid: key.pid,
    startTimeMs: proc ? proc.startTimeMs : key.startTimeMs,
    name: ident.name,
    exe: ident.exe,
    cmdline: ident.cmdline,
    user: ident.user,
    proc: proc ? { ...proc } : null,
    parents: proc && latest ? parentChain(proc, latest.procs) : [],
    conns,
    sha256,
    series: processSeries(key, history),
    idleBands: idleBands(history),
    incident: inc ? ctx.view(inc, liveInc !== undefined) : null,
    allowlist: ident.exe ? await monitor.allowlist.check({ exe: ident.exe, cmdline: ident.cmdline }) : null,
    paused: ctx.pausedProcs.has(k),
    quarantinable: proc?.exe ? userWritableReason(proc.exe) : null,
  };
}
