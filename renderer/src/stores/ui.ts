/** What the window shows: the screen, the process details drawer, the open confirmation dialog, the theme. */
import { create } from 'zustand';
import type { AllowlistEntry } from '../../../shared/allowlist.js';
import type { ActionTarget } from '../../../shared/actions.js';
import type { ProcessKey, Route } from '../../../shared/ipc.js';
import type { QuarantineItem } from '../../../shared/quarantine.js';
import type { ScanFinding } from '../../../shared/scan.js';
import { hashFor, parseProcessKey, routeFromHash } from '../lib/route.js';
import { parseTheme, resolveTheme, THEME_KEY, type ThemeSetting } from '../lib/theme.js';

export type ConfirmDialog =
  | { kind: 'kill'; target: ActionTarget; name: string }
  /** The engine asked for a second confirmation: the desktop session depends on this process. */
  | { kind: 'kill-session'; target: ActionTarget; reason: string }
  | { kind: 'allowlist'; exe: string; sha256: string | null }
  | { kind: 'remove-persistence'; finding: ScanFinding }
  | { kind: 'remove-allowlist'; entry: AllowlistEntry }
  /** From a scan finding (findingId) or a process Idlewatch reported (target). */
  | { kind: 'kill-quarantine'; target: ActionTarget; name: string; exe: string; findingId: string | null }
  | { kind: 'delete-quarantine'; item: QuarantineItem };

export interface UiState {
  route: Route;
  details: ProcessKey | null;
  dialog: ConfirmDialog | null;
  theme: ThemeSetting;
  /** The theme in effect (System resolved); charts redraw when it changes. */
  appliedTheme: 'dark' | 'light';
}

function initialTheme(): ThemeSetting {
  try {
    return parseTheme(localStorage.getItem(THEME_KEY));
  } catch {
    return parseTheme(null);
  }
}

export const useUi = create<UiState>(() => ({
  route: (typeof location === 'undefined' ? null : routeFromHash(location.hash)) ?? 'overview',
  details: null,
  dialog: null,
  theme: typeof localStorage === 'undefined' ? parseTheme(null) : initialTheme(),
  appliedTheme: 'dark',
}));

export function navigate(route: Route): void {
  useUi.setState({ route });
  const hash = hashFor(route);
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

/** The tray or a notification asked for a screen, maybe with an incident's details open. */
export function navigateFromShell(route: Route, incidentKey?: string): void {
  navigate(route);
  const key = incidentKey ? parseProcessKey(incidentKey) : null;
  if (key) useUi.setState({ details: key });
}

export function openDetails(key: ProcessKey): void {
  useUi.setState({ details: key });
}

export function closeDetails(): void {
  useUi.setState({ details: null });
}

export function openDialog(dialog: ConfirmDialog): void {
  useUi.setState({ dialog });
}

export function closeDialog(): void {
  useUi.setState({ dialog: null });
}

const lightQuery = () => (typeof matchMedia === 'undefined' ? null : matchMedia('(prefers-color-scheme: light)'));

function applyTheme(): void {
  const applied = resolveTheme(useUi.getState().theme, lightQuery()?.matches ?? false);
  document.documentElement.dataset.theme = applied;
  useUi.setState({ appliedTheme: applied });
}

export function setTheme(theme: ThemeSetting): void {
  useUi.setState({ theme });
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Storage disabled: the theme holds for this session.
  }
  applyTheme();
}

/** Applies the theme and follows the hash and the system colour scheme (events, once at start-up). */
export function startUi(): void {
  applyTheme();
  lightQuery()?.addEventListener('change', applyTheme);
  window.addEventListener('hashchange', () => {
    const route = routeFromHash(location.hash);
    if (route) useUi.setState({ route });
  });
}
