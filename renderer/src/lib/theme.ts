/** The Theme setting: kept in this window only (localStorage), applied as data-theme on <html>. */

export type ThemeSetting = 'system' | 'dark' | 'light';
export const THEME_SETTINGS: readonly { id: ThemeSetting; label: string }[] = [
  { id: 'system', label: 'System' },
  { id: 'dark', label: 'Dark' },
  { id: 'light', label: 'Light' },
];
export const THEME_KEY = 'idlewatch.theme';
export const DEFAULT_THEME: ThemeSetting = 'dark';

export function parseTheme(v: string | null | undefined): ThemeSetting {
  return v === 'system' || v === 'dark' || v === 'light' ? v : DEFAULT_THEME;
}

export function resolveTheme(setting: ThemeSetting, prefersLight: boolean): 'dark' | 'light' {
  return setting === 'system' ? (prefersLight ? 'light' : 'dark') : setting;
}
