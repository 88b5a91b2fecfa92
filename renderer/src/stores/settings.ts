/** The engine's settings as stored, and the outcome of the last save. */
import { create } from 'zustand';
import type { Settings } from '../../../shared/settings.js';
import { api } from '../api.js';
import { errorMessage } from '../lib/format.js';

export interface SettingsState {
  settings: Settings | null;
  loadError: string | null;
  saving: boolean;
  saveResult: { ok: true } | { ok: false; error: string } | null;
}

export const useSettings = create<SettingsState>(() => ({
  settings: null,
  loadError: null,
  saving: false,
  saveResult: null,
}));

export function setSettings(settings: Settings): void {
  useSettings.setState({ settings, loadError: null });
}

export function settingsFailed(error: string): void {
  useSettings.setState({ loadError: error });
}

export function clearSaveResult(): void {
  useSettings.setState({ saveResult: null });
}

export async function saveSettings(patch: Partial<Settings>): Promise<void> {
  useSettings.setState({ saving: true, saveResult: null });
  try {
    const settings = Object.keys(patch).length > 0 ? await api().setSettings(patch) : useSettings.getState().settings;
    useSettings.setState({ settings, saving: false, saveResult: { ok: true } });
  } catch (e) {
    useSettings.setState({ saving: false, saveResult: { ok: false, error: errorMessage(e) } });
  }
}
