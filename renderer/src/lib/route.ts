/** The window's screens, their navigation labels, and the #/route hash that mirrors them. */
import { ROUTES, type Route } from '../../../shared/ipc.js';

export { parseProcessKey } from '../../../shared/identity.js';

export const NAV_ITEMS: readonly { route: Route; label: string }[] = [
  { route: 'overview', label: 'Overview' },
  { route: 'incidents', label: 'Incidents' },
  { route: 'scan', label: 'Deep scan' },
  { route: 'quarantine', label: 'Quarantine' },
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
