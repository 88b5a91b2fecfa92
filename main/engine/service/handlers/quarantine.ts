import type { ActionTarget } from '../../../../shared/actions.js';
import type { ProcessIdentity } from '../../../../shared/identity.js';
import type { InvokeHandlers } from '../../../../shared/ipc.js';
import type { KillQuarantineResult } from '../../../../shared/quarantine.js';
import { killProcess } from '../../actions/process-actions.js';
import { killAndQuarantine } from '../../quarantine/kill-quarantine.js';
import { liveProcFor } from '../incident-views.js';
import type { ServiceContext } from './context.js';

type Handlers = Pick<
  InvokeHandlers,
  'quarantine:list' | 'quarantine:restore' | 'quarantine:delete' | 'scan:killQuarantine' | 'process:killQuarantine'
>;

/** Tells the window what the quarantine holds now (after an item was added, restored or deleted). */
export async function quarantineChanged(ctx: ServiceContext): Promise<void> {
  try {
    ctx.emit('quarantine:changed', await ctx.quarantine.list());
  } catch {
    // The window asks again when it shows the page; a failed read is reported there.
  }
}

export function quarantineHandlers(ctx: ServiceContext): Handlers {
  return {
    'quarantine:list': () => ctx.quarantine.list(),
    'quarantine:restore': async (id) => {
      const r = await ctx.quarantine.restore(id);
      if (r.ok) await quarantineChanged(ctx);
      return r;
    },
    'quarantine:delete': async (id) => {
      const r = await ctx.quarantine.delete(id);
      if (r.ok) await quarantineChanged(ctx);
      return r;
    },
    'scan:killQuarantine': async (findingId) => {
      const finding = ctx.scanReport()?.findings.find((f) => f.id === findingId);
      const action = finding?.actions.find((a) => a.kind === 'kill-quarantine');
      if (!finding?.process || action?.kind !== 'kill-quarantine') {
        return {
          ok: false,
          stage: 'refused',
          reason: `no finding ${JSON.stringify(findingId.slice(0, 200))} with a program to quarantine in the last scan report: run the scan again`,
          kill: null,
        };
      }
      const r = await killAndQuarantine(
        { pid: action.pid, startTimeMs: action.startTimeMs, exe: action.exe },
        {
          quarantine: ctx.quarantine,
          // The scan reported this process; the live monitor may not list it (an idle one), and
          // "not seen" must never pass for "gone" here, or the program would be moved while it
          // runs. The kill's own re-check of pid, start time and program is what guards it.
          kill: (t) => killProcess(t),
          sha256: finding.process.sha256,
          origin: {
            findingId: finding.id,
            reportStartedAt: ctx.scanReport()?.startedAt ?? null,
            reason: finding.title.slice(0, 2000),
          },
        },
      );
      return done(ctx, r, finding.process);
    },
    'process:killQuarantine': async (target) => {
      // The program as the engine saw it run, not as the window says: the window only names the process.
      const proc = ctx.monitor.latest
        ? liveProcFor({ pid: target.pid, startT: target.startTimeMs }, ctx.monitor.latest.procs)
        : null;
      if (!proc) {
        return {
          ok: false,
          stage: 'kill',
          reason: `process ${target.pid} is not among the processes Idlewatch sees now (it may have exited): nothing was done`,
          kill: null,
        };
      }
      const r = await killAndQuarantine(
        { pid: proc.pid, startTimeMs: proc.startTimeMs, exe: proc.exe },
        { quarantine: ctx.quarantine, kill: (t) => killReported(ctx, t) },
      );
      return done(ctx, r, proc);
    },
  };
}

/**
 * The kill of a process the engine reported: the live monitor's (it re-checks that the process is
 * one it sees now, then its identity), with the exact start time the monitor holds.
 */
async function killReported(ctx: ServiceContext, target: ActionTarget) {
  const proc = ctx.monitor.latest
    ? liveProcFor({ pid: target.pid, startT: target.startTimeMs }, ctx.monitor.latest.procs)
    : null;
  const exact = proc ? { pid: proc.pid, startTimeMs: proc.startTimeMs, exe: target.exe } : target;
  return ctx.monitor.kill(exact);
}

async function done(
  ctx: ServiceContext,
  r: KillQuarantineResult,
  proc: ProcessIdentity,
): Promise<KillQuarantineResult> {
  if (r.ok) await quarantineChanged(ctx);
  ctx.emitStatus();
  // The SIEM feed's record of it: done, or at which stage it stopped.
  ctx.activity({
    type: 'action',
    action: 'quarantine',
    process: {
      pid: proc.pid,
      startTimeMs: proc.startTimeMs,
      name: proc.name,
      exe: proc.exe,
      cmdline: proc.cmdline,
      user: proc.user,
    },
    ok: r.ok,
    code: r.ok ? null : r.stage,
    detail: r.ok ? r.detail : r.reason,
  });
  return r;
}
