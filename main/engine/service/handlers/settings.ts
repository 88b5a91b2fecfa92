import type { InvokeHandlers } from '../../../../shared/ipc.js';
import type { Settings } from '../../../../shared/settings.js';
import { saveSettings } from '../../store/settings-file.js';
import { incidentKey } from '../incident-views.js';
import type { ServiceContext } from './context.js';

type Handlers = Pick<InvokeHandlers, 'settings:get' | 'settings:set'>;

/** Settings the running detector or sampler was built with: changing one restarts the monitor. */
const RESTART_KEYS: readonly (keyof Settings)[] = [
  'idleThresholdSec',
  'samplingIntervalMs',
  'sensitivity',
  'notifications',
  'quietWhileFullscreen',
  'notifyHighWhileFullscreen',
];

export function settingsHandlers(ctx: ServiceContext): Handlers {
  return {
    'settings:get': () => ctx.settings(),
    'settings:set': (patch) => setSettings(ctx, patch),
  };
}

async function setSettings(ctx: ServiceContext, patch: Partial<Settings>): Promise<Settings> {
  const next: Settings = { ...ctx.monitor.settings, ...patch };
  await saveSettings(ctx.dataDir, next);
  return applySettings(ctx, next);
}

/** Puts settings (already saved, or read from the file) into effect: a fresh monitor where detection changes. */
export async function applySettings(ctx: ServiceContext, next: Settings): Promise<Settings> {
  const before = { ...ctx.monitor.settings };
  if (RESTART_KEYS.some((k) => before[k] !== next[k])) await ctx.restartMonitor();
  else Object.assign(ctx.monitor.settings, next);
  if (before.historyRetentionDays !== next.historyRetentionDays) {
    await ctx.monitor.history.prune(next.historyRetentionDays).catch(() => undefined);
    const keep = await ctx.monitor.history.read();
    ctx.historic.clear();
    for (const r of keep.records) ctx.historic.set(incidentKey(r.incident), r.incident);
  }
  const now = ctx.settings();
  ctx.emit('settings:changed', now);
  return now;
}
