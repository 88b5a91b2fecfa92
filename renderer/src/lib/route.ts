/** The window's screens, their navigation labels, and the #/route hash that mirrors them. */
import { type ProcessKey, ROUTES, type Route } from '../../../shared/ipc.js';

export const NAV_ITEMS: readonly { route: Route; label: string }[] = [
  { route: 'overview', label: 'Overview' },
  { route: 'incidents', label: 'Incidents' },
  { route: 'scan', label: 'Deep scan' },
  { route: 'allowlist', label: 'Allowlist' },
  { route: 'settings', label: 'Settings' },
];

export function routeFromHash(hash: string): Route | null {
  const name = hash.replace(/^#\/?/, '');
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : null;
}

export function hashFor(route: Route): string {
  return `#/${route}`;
}

/** "1234@1700000000000" → { pid, startTimeMs }; null when it is not a process key. */
export function parseProcessKey(key: string): ProcessKey | null {
  const m = /^(\d+)@(\d+)$/.exec(key);
  if (!m) return null;
  const pid = Number(m[1]);
  const startTimeMs = Number(m[2]);
  return Number.isSafeInteger(pid) && Number.isSafeInteger(startTimeMs) ? { pid, startTimeMs } : null;
}
