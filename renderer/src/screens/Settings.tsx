import { type ReactNode, useEffect, useState } from 'react';
import { SENSITIVITIES, type Settings as EngineSettings, SETTINGS_RANGES } from '../../../shared/settings.js';
import { draftPatch, type NumericSetting, type SettingsDraft, toDraft, validateDraft } from '../lib/settings-form.js';
import { THEME_SETTINGS, type ThemeSetting } from '../lib/theme.js';
import { clearSaveResult, saveSettings, useSettings } from '../stores/settings.js';
import { setTheme, useUi } from '../stores/ui.js';

const SENSITIVITY_LABEL = { low: 'Low', normal: 'Normal', high: 'High' } as const;

function NumberField({
  id,
  label,
  field,
  draft,
  error,
  hint,
  onChange,
}: {
  id: string;
  label: string;
  field: NumericSetting;
  draft: SettingsDraft;
  error: string | undefined;
  hint: ReactNode;
  onChange: (value: string) => void;
}) {
  const r = SETTINGS_RANGES[field];
  return (
    <div className="form-row">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={r.min}
        max={r.max}
        step={1}
        value={draft[field]}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        onChange={(e) => onChange(e.target.value)}
      />
      <span id={`${id}-hint`} className="hint">
        {hint}
      </span>
      {error ? (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}

function SettingsForm({ saved }: { saved: EngineSettings }) {
  const [draft, setDraft] = useState<SettingsDraft>(() => toDraft(saved));
  const [base, setBase] = useState(saved);
  const [showErrors, setShowErrors] = useState(false);
  const saving = useSettings((s) => s.saving);
  const saveResult = useSettings((s) => s.saveResult);
  const theme = useUi((s) => s.theme);

  // Settings changed elsewhere (the tray, another window): follow them unless the user is editing.
  useEffect(() => {
    if (saved === base) return;
    setBase(saved);
    setDraft((d) => (JSON.stringify(d) === JSON.stringify(toDraft(base)) ? toDraft(saved) : d));
  }, [saved, base]);

  useEffect(() => () => clearSaveResult(), []);

  const errors = validateDraft(draft);
  const visibleErrors = showErrors ? errors : {};
  const update = (patch: Partial<SettingsDraft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    clearSaveResult();
  };

  return (
    <form
      className="settings-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setShowErrors(true);
        const bad = Object.keys(errors)[0];
        if (bad) {
          document.getElementById(`setting-${bad}`)?.focus();
          return;
        }
        void saveSettings(draftPatch(draft, saved));
      }}
    >
      <NumberField
        id="setting-idleThresholdSec"
        label="Idle threshold (seconds)"
        field="idleThresholdSec"
        draft={draft}
        error={visibleErrors.idleThresholdSec}
        hint="How long without input before you count as away."
        onChange={(v) => update({ idleThresholdSec: v })}
      />
      <div className="form-row">
        <label htmlFor="setting-sensitivity">Sensitivity</label>
        <select
          id="setting-sensitivity"
          value={draft.sensitivity}
          aria-describedby="setting-sensitivity-hint"
          onChange={(e) => update({ sensitivity: e.target.value as SettingsDraft['sensitivity'] })}
        >
          {SENSITIVITIES.map((s) => (
            <option key={s} value={s}>
              {SENSITIVITY_LABEL[s]}
            </option>
          ))}
        </select>
        <span id="setting-sensitivity-hint" className="hint">
          High flags weaker evidence.
        </span>
      </div>
      <div className="form-row check-row">
        <input
          id="setting-notifications"
          type="checkbox"
          checked={draft.notifications}
          onChange={(e) => update({ notifications: e.target.checked })}
        />
        <label htmlFor="setting-notifications">Notifications</label>
      </div>
      <div className="form-row check-row">
        <input
          id="setting-quiet"
          type="checkbox"
          checked={draft.quietWhileFullscreen}
          onChange={(e) => update({ quietWhileFullscreen: e.target.checked })}
        />
        <label htmlFor="setting-quiet">Quiet while a fullscreen app runs</label>
      </div>
      <div className="form-row check-row">
        <input
          id="setting-login"
          type="checkbox"
          checked={draft.launchAtLogin}
          onChange={(e) => update({ launchAtLogin: e.target.checked })}
        />
        <label htmlFor="setting-login">Launch at login</label>
      </div>
      <NumberField
        id="setting-samplingIntervalMs"
        label="Sampling interval (ms)"
        field="samplingIntervalMs"
        draft={draft}
        error={visibleErrors.samplingIntervalMs}
        hint="How often the engine samples. Shorter costs more CPU."
        onChange={(v) => update({ samplingIntervalMs: v })}
      />
      <NumberField
        id="setting-historyRetentionDays"
        label="History retention (days)"
        field="historyRetentionDays"
        draft={draft}
        error={visibleErrors.historyRetentionDays}
        hint="Older incidents are removed from the history."
        onChange={(v) => update({ historyRetentionDays: v })}
      />
      <div className="form-row">
        <label htmlFor="setting-theme">Theme</label>
        <select
          id="setting-theme"
          value={theme}
          aria-describedby="setting-theme-hint"
          onChange={(e) => setTheme(e.target.value as ThemeSetting)}
        >
          {THEME_SETTINGS.map((t) => (
            <option key={t.id} value={t.id}>
              {t.label}
            </option>
          ))}
        </select>
        <span id="setting-theme-hint" className="hint">
          This window only; applies at once. System follows your desktop's light or dark preference.
        </span>
      </div>
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={saving}>
          Save settings
        </button>
        <span role="status" className="done" data-testid="settings-status">
          {saveResult?.ok ? 'Settings saved' : ''}
        </span>
        {saveResult && !saveResult.ok ? (
          <span role="alert" className="error" data-testid="settings-error">
            {saveResult.error}
          </span>
        ) : null}
      </div>
    </form>
  );
}

/** Engine settings (saved through the engine) and this window's theme. */
export function Settings() {
  const settings = useSettings((s) => s.settings);
  const loadError = useSettings((s) => s.loadError);
  return (
    <div className="screen" data-testid="settings-page">
      <h2 className="screen-title">Settings</h2>
      {loadError ? (
        <p role="alert" className="error">
          Could not load the settings: {loadError}
        </p>
      ) : null}
      {settings ? <SettingsForm saved={settings} /> : loadError ? null : <p className="loading">Loading settings…</p>}
    </div>
  );
}
