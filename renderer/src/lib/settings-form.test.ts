import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { draftPatch, toDraft, validateDraft } from './settings-form.js';

describe('settings form', () => {
  it('accepts the defaults and saves nothing when nothing changed', () => {
    const d = toDraft(DEFAULT_SETTINGS);
    expect(validateDraft(d)).toEqual({});
    expect(draftPatch(d, DEFAULT_SETTINGS)).toEqual({});
  });

  it('flags values outside SETTINGS_RANGES and non-whole numbers', () => {
    const d = {
      ...toDraft(DEFAULT_SETTINGS),
      idleThresholdSec: '5',
      samplingIntervalMs: '1.5',
      historyRetentionDays: '',
    };
    expect(validateDraft(d)).toEqual({
      idleThresholdSec: 'Enter a whole number from 10 to 86400.',
      samplingIntervalMs: 'Enter a whole number from 250 to 60000.',
      historyRetentionDays: 'Enter a whole number from 1 to 3650.',
    });
  });

  it('patches only the changed fields', () => {
    const d = {
      ...toDraft(DEFAULT_SETTINGS),
      idleThresholdSec: ' 120 ',
      sensitivity: 'high' as const,
      notifications: false,
    };
    expect(draftPatch(d, DEFAULT_SETTINGS)).toEqual({
      idleThresholdSec: 120,
      sensitivity: 'high',
      notifications: false,
    });
  });
});
