import { type ReactNode, useEffect, useState } from 'react';
import { HostsBlockSetting } from '../components/HostsBlockSetting.js';
import { LoadError } from '../components/LoadError.js';
import { SENSITIVITIES, type Settings as EngineSettings, SETTINGS_RANGES } from '../../../shared/settings.js';
import { draftPatch, type NumericSetting, type SettingsDraft, toDraft, validateDraft } from '../lib/settings-form.js';
import { THEME_SETTINGS } from '../lib/theme.js';
import { clearSaveResult, saveSettings, useSettings } from '../stores/settings.js';
import { setTheme, useUi } from '../stores/ui.js';

const SENSITIVITY_LABEL = { low: 'Low', normal: 'Normal', high: 'High' } as const;
const SENSITIVITY_OPTIONS = SENSITIVITIES.map((id) => ({ id, label: SENSITIVITY_LABEL[id] }));

const NUMBER_FIELDS: Record<NumericSetting, { label: string; hint: string }> = {
  idleThresholdSec: { label: 'Idle threshold (seconds)', hint: 'How long without input before you count as away.' },
  samplingIntervalMs: {
    label: 'Sampling interval (ms)',
    hint: 'How often the engine samples. Shorter costs more CPU.',
  },
  historyRetentionDays: { label: 'History retention (days)', hint: 'Older incidents are removed from the history.' },
};

type SwitchSetting = 'notifications' | 'quietWhileFullscreen' | 'notifyHighWhileFullscreen' | 'launchAtLogin';
const SWITCH_LABEL: Record<SwitchSetting, string> = {
  notifications: 'Notifications',
  quietWhileFullscreen: 'Quiet while a fullscreen app runs',
  notifyHighWhileFullscreen: 'Always notify high severity, even while playing',
  launchAtLogin: 'Launch at login',
};

/** The id of a setting's control; Save focuses the first invalid one by it. */
const fieldId = (field: keyof SettingsDraft | 'theme') => `setting-${field}`;

/** What every draft field needs: the draft, the way to change it, the errors to show. */
interface FormState {
  draft: SettingsDraft;
  errors: Partial<Record<NumericSetting, string>>;
  update: (patch: Partial<SettingsDraft>) => void;
}

function NumberField({ field, draft, errors, update }: FormState & { field: NumericSetting }) {
  const id = fieldId(field);
  const error = errors[field];
  const r = SETTINGS_RANGES[field];
  return (
    <div className="form-row">
      <label htmlFor={id}>{NUMBER_FIELDS[field].label}</label>
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
        onChange={(e) => update({ [field]: e.target.value } as Partial<SettingsDraft>)}
      />
      <span id={`${id}-hint`} className="hint">
        {NUMBER_FIELDS[field].hint}
      </span>
      {error ? (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      ) : null}
    </div>
  );
}

function SwitchField({ field, draft, update }: FormState & { field: SwitchSetting }) {
  const id = fieldId(field);
  return (
    <div className="form-row check-row">
      <input
        id={id}
        type="checkbox"
        checked={draft[field]}
        // Only meaningful while notifications are held for fullscreen apps.
        disabled={field === 'notifyHighWhileFullscreen' && !draft.quietWhileFullscreen}
        onChange={(e) => update({ [field]: e.target.checked } as Partial<SettingsDraft>)}
      />
      <label htmlFor={id}>{SWITCH_LABEL[field]}</label>
    </div>
  );
}

function SelectField<T extends string>({
  id,
  label,
  hint,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  hint: ReactNode;
  value: T;
  options: readonly { id: T; label: string }[];
  onChange: (value: T) => void;
}) {
  return (
    <div className="form-row">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} aria-describedby={`${id}-hint`} onChange={(e) => onChange(e.target.value as T)}>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
      <span id={`${id}-hint`} className="hint">
        {hint}
      </span>
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
  const update = (patch: Partial<SettingsDraft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    clearSaveResult();
  };
  const form: FormState = { draft, errors: showErrors ? errors : {}, update };

  return (
    <form
      className="settings-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setShowErrors(true);
        const bad = Object.keys(errors)[0];
        if (bad) {
          document.getElementById(fieldId(bad as NumericSetting))?.focus();
          return;
        }
        void saveSettings(draftPatch(draft, saved));
      }}
    >
      <NumberField field="idleThresholdSec" {...form} />
      <SelectField
        id={fieldId('sensitivity')}
        label="Sensitivity"
        hint="High flags weaker evidence."
        value={draft.sensitivity}
        options={SENSITIVITY_OPTIONS}
        onChange={(sensitivity) => update({ sensitivity })}
      />
      <SwitchField field="notifications" {...form} />
      <SwitchField field="quietWhileFullscreen" {...form} />
      <SwitchField field="notifyHighWhileFullscreen" {...form} />
      <SwitchField field="launchAtLogin" {...form} />
      <NumberField field="samplingIntervalMs" {...form} />
      <NumberField field="historyRetentionDays" {...form} />
      <SelectField
        id={fieldId('theme')}
        label="Theme"
        hint="This window only; applies at once. System follows your desktop's light or dark preference."
        value={theme}
        options={THEME_SETTINGS}
        onChange={setTheme}
      />
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
      <LoadError what="the settings" error={loadError} />
      {settings ? <SettingsForm saved={settings} /> : loadError ? null : <p className="loading">Loading settings…</p>}
      <HostsBlockSetting />
    </div>
  );
}
