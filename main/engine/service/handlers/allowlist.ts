import type { InvokeHandlers } from '../../../../shared/ipc.js';
import type { ServiceContext } from './context.js';

type Handlers = Pick<
  InvokeHandlers,
  'allowlist:list' | 'allowlist:add' | 'allowlist:remove' | 'allowlist:export' | 'allowlist:import'
>;

export function allowlistHandlers(ctx: ServiceContext): Handlers {
  return {
    'allowlist:list': () => ctx.monitor.allowlist.list(),
    'allowlist:add': async (input) => {
      const entry = await ctx.monitor.allow(input);
      allowlistChanged(ctx);
      return entry;
    },
    'allowlist:remove': async (id) => {
      const removed = await ctx.monitor.allowlist.remove(id);
      if (removed) allowlistChanged(ctx);
      return removed;
    },
    'allowlist:export': () => ctx.monitor.allowlist.exportJson(),
    'allowlist:import': async (json, mode) => {
      const r = await ctx.monitor.allowlist.importJson(json, mode);
      allowlistChanged(ctx);
      return { ...r, entries: ctx.monitor.allowlist.list() };
    },
  };
}

/** Entries apply to incidents already listed: every live view is re-sent with its new verdict. */
function allowlistChanged(ctx: ServiceContext): void {
  ctx.emit('allowlist:changed', ctx.monitor.allowlist.list());
  for (const v of ctx.liveViews()) ctx.emit('incident:changed', { incident: v, change: 'updated' });
  ctx.emitStatus();
}
