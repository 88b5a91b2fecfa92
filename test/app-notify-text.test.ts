// Notification text from the engine's notification, against hostile process names.
import { describe, expect, it } from 'vitest';
import type { HostNotification } from '../main/engine/host/protocol.js';
import { BODY_MAX, notificationText, TITLE_MAX } from '../main/app/notify-text.js';
import { cleanLine, truncate } from '../main/app/sanitize.js';

const n = (name: string, body = 'GPU 97% for 40 s while you were away 3 min'): HostNotification => ({
  title: `${name} may be mining on your computer`,
  body,
  severity: 'high',
  incidentKey: '42@1000',
  count: 1,
});

describe('notificationText', () => {
  it('names the process and the evidence', () => {
    expect(notificationText(n('xmrig'), 'win32')).toEqual({
      title: 'xmrig may be mining on your computer',
      body: 'GPU 97% for 40 s while you were away 3 min',
    });
  });

  it('keeps quotes as text and puts a multi-line name on one line', () => {
    const t = notificationText(n('"miner" \'x\'\r\nFAKE: Windows Update\nsafe'), 'win32');
    expect(t.title).toBe('"miner" \'x\' FAKE: Windows Update safe may be mining on your computer');
    expect(t.title).not.toMatch(/[\r\n]/);
  });

  it('removes right-to-left overrides and invisible marks', () => {
    const t = notificationText(n('\u202Egpj.exe\u200F\u2066x\u2069\u200B\uFEFF'), 'darwin');
    expect(t.title).toBe('gpj.exe x may be mining on your computer');
    expect(t.title).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/);
  });

  it('cuts a very long name in the middle, so the sentence still ends the title', () => {
    const t = notificationText(n('A'.repeat(5000), 'B'.repeat(5000)), 'win32');
    expect(Array.from(t.title)).toHaveLength(TITLE_MAX);
    expect(t.title).toMatch(/^A+… may be mining on your computer$/);
    expect(Array.from(t.body)).toHaveLength(BODY_MAX);
    expect(t.body.endsWith('…')).toBe(true);
  });

  it('does not let a name become markup on Linux notification servers', () => {
    const t = notificationText(n('<a href="https://evil">click</a> & <b>x</b>'), 'linux');
    expect(t.title).not.toMatch(/[<>&]/);
    expect(t.title).toContain('‹a href="https://evil"›click‹/a› ＆ ‹b›x‹/b›');
    // Elsewhere the text is plain and stays as written.
    expect(notificationText(n('<b>x</b>'), 'win32').title).toContain('<b>x</b>');
  });

  it('never shows an empty title or body', () => {
    expect(
      notificationText({ title: '\u202E\n', body: '\u0000', severity: 'medium', incidentKey: null, count: 2 }, 'win32'),
    ).toEqual({
      title: 'Idlewatch alert',
      body: 'Open Idlewatch to see why.',
    });
  });
});

describe('sanitize', () => {
  it('never splits a surrogate pair when cutting', () => {
    const s = truncate('😀'.repeat(10), 5);
    expect(Array.from(s)).toEqual(['😀', '😀', '😀', '😀', '…']);
    expect(cleanLine('a\u0085b\u2028c\u00ADd')).toBe('a b c d');
  });
});
