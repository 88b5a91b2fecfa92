import type { IncidentView, InvokeHandlers } from '../../../../shared/ipc.js';
import { incidentKey, queryIncidents } from '../incident-views.js';
import type { ServiceContext } from './context.js';

type Handlers = Pick<InvokeHandlers, 'incidents:list' | 'incidents:review'>;

export function incidentHandlers(ctx: ServiceContext): Handlers {
  return {
    'incidents:list': (query) => queryIncidents(ctx.allViews(), query),
    'incidents:review': (key, reviewed) => review(ctx, key, reviewed),
  };
}

async function review(ctx: ServiceContext, key: string, reviewed: boolean): Promise<IncidentView | null> {
  const live = ctx.monitor.incidents().find((i) => incidentKey(i) === key);
  const inc = live ?? ctx.historic.get(key);
  if (!inc) return null;
  await ctx.reviews.set(key, reviewed, ctx.now());
  const view = ctx.view(inc, live !== undefined);
  ctx.emit('incident:changed', { incident: view, change: 'reviewed' });
  ctx.emitStatus();
  return view;
}
