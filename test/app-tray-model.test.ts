// The tray's pure model: which state, icon, tooltip and menu the engine's state gives.
import { describe, expect, it } from 'vitest';
import { ShellState, TOOLTIP_MAX, type TrayInputs, type TrayMenuItem, trayModel } from '../main/app/tray-model.js';
import type { SourceStatus } from '../shared/engine-types.js';
import type { EngineStatus, IncidentView } from '../shared/ipc.js';

const NOW = Date.UTC(2026, 0, 5, 12, 0, 0);

function status(extra: Partial<EngineStatus> = {}): EngineStatus {
  return {
    pausedUntil: null,
    suspended: false,
    problems: [],
    error: null,
    dataDir: '/d',
    open: { low: 0, medium: 0, high: 0 },
    paused: [],
    ...extra,
  };
}

const OK: SourceStatus[] = [
  { id: 'procs.linux', label: 'Processes (/proc)', health: 'ok', detail: '' },
  { id: 'cpu.linux', label: 'System CPU', health: 'ok', detail: '' },
  {
    id: 'gpu.nvidia',
    label: 'NVIDIA GPUs (nvidia-smi)',
    health: 'unavailable',
    detail: 'nvidia-smi not found on PATH',
  },
  { id: 'idle.x11', label: 'X11 idle time', health: 'ok', detail: '' },
];

function inputs(extra: Partial<TrayInputs> = {}): TrayInputs {
  return {
    status: status(),
    userState: 'active',
    sources: OK,
    incidents: [],
    launchAtLogin: false,
    platform: 'linux',
    now: NOW,
    formatTime: (ms) => new Date(ms).toISOString().slice(11, 16),
    ...extra,
  };
}

const labels = (menu: TrayMenuItem[]) => menu.map((i) => (i.type === 'separator' ? '---' : i.label));

describe('trayModel', () => {
  it('watching: green eye, and every action in the menu', () => {
    const m = trayModel(inputs());
    expect(m.state).toBe('watching');
    expect(m.iconFile).toBe('tray/watching.png');
    expect(m.tooltip).toBe('Idlewatch: Watching');
    expect(labels(m.menu)).toEqual([
      'Watching',
      '---',
      'Open Idlewatch',
      'Run deep scan',
      'Pause for 1 hour',
      '---',
      'Launch at login',
      '---',
      'Quit Idlewatch',
    ]);
    expect(m.menu[0]).toEqual({ type: 'label', label: 'Watching' }); // the status line is not clickable
    expect(m.menu.find((i) => i.type === 'checkbox')).toEqual({
      type: 'checkbox',
      id: 'launchAtLogin',
      label: 'Launch at login',
      checked: false,
    });
    // An absent NVIDIA GPU is normal, not a degraded source.
  });

  it('away while idle or locked', () => {
    expect(trayModel(inputs({ userState: 'idle' })).state).toBe('away');
    const locked = trayModel(inputs({ userState: 'locked' }));
    expect([locked.state, locked.iconFile, locked.menu[0]]).toEqual([
      'away',
      'tray/away.png',
      { type: 'label', label: 'Screen locked: watching closely' },
    ]);
  });

  it('alert: open medium/high incidents win over every other state, with one item per process', () => {
    const m = trayModel(
      inputs({
        userState: 'idle',
        status: status({ open: { low: 3, medium: 1, high: 1 }, pausedUntil: NOW + 1000 }),
        incidents: [
          { key: '42@1', name: 'xmrig', severity: 'high' },
          { key: '43@1', name: 'kswapd0', severity: 'medium' },
        ],
      }),
    );
    expect(m.state).toBe('alert');
    expect(m.tooltip).toBe('Idlewatch: Alert: 2 suspicious processes (1 high) — xmrig, kswapd0');
    expect(m.menu.filter((i) => i.type === 'action' && i.action === 'incident')).toEqual([
      { type: 'action', action: 'incident', incidentKey: '42@1', label: 'Show xmrig (high)' },
      { type: 'action', action: 'incident', incidentKey: '43@1', label: 'Show kswapd0 (medium)' },
    ]);
    // Paused at the same time: the menu still offers Resume.
    expect(labels(m.menu)).toContain('Resume monitoring');
  });

  it('paused: until when, and Resume instead of Pause; an expired pause is watching again', () => {
    const m = trayModel(inputs({ status: status({ pausedUntil: NOW + 3600_000 }) }));
    expect([m.state, m.iconFile, m.tooltip]).toEqual(['paused', 'tray/paused.png', 'Idlewatch: Paused until 13:00']);
    expect(labels(m.menu)).toContain('Resume monitoring');
    expect(labels(m.menu)).not.toContain('Pause for 1 hour');
    expect(trayModel(inputs({ status: status({ pausedUntil: NOW - 1 }) })).state).toBe('watching');
  });

  it('processes Idlewatch paused: listed with Resume for each (pid, user), hostile names cleaned, the rest counted', () => {
    const proc = (pid: number, name: string, user: string | null = 'amy') => ({
      pid,
      startTimeMs: 1000 + pid,
      name,
      exe: `/tmp/.x/${name}`,
      user,
      pausedAt: NOW - 60_000,
    });
    const one = trayModel(inputs({ status: status({ paused: [proc(4242, 'xmrig')] }) }));
    // Not an alert, not "paused" monitoring: the engine still watches.
    expect(one.state).toBe('watching');
    expect(labels(one.menu)).toEqual([
      'Watching',
      '---',
      'Paused by Idlewatch: 1 process',
      'Resume xmrig (pid 4242, amy)',
      '---',
      'Open Idlewatch',
      'Run deep scan',
      'Pause for 1 hour',
      '---',
      'Launch at login',
      '---',
      'Quit Idlewatch',
    ]);
    expect(one.menu[3]).toEqual({
      type: 'action',
      action: 'resume-process',
      processKey: '4242@5242',
      label: 'Resume xmrig (pid 4242, amy)',
    });
    const evil = proc(7, '\u202Eexe.tsohcvs\nminer', null);
    const many = trayModel(
      inputs({ status: status({ paused: [evil, ...[1, 2, 3, 4, 5, 6].map((n) => proc(100 + n, `m${n}`))] }) }),
    );
    const resumes = many.menu.filter((i) => i.type === 'action' && i.action === 'resume-process');
    expect(resumes).toHaveLength(5);
    expect(resumes[0]?.type === 'action' && resumes[0].label).not.toMatch(/[\u202E\n]/);
    expect(resumes[0]?.type === 'action' && resumes[0].label).toMatch(/^Resume .*\(pid 7\)$/);
    expect(labels(many.menu)).toContain('Paused by Idlewatch: 7 processes');
    expect(labels(many.menu)).toContain('…and 2 more: open Idlewatch to resume them');
  });

  it('degraded: names the failing source and why, in the menu itself', () => {
    const sources: SourceStatus[] = [
      ...OK.slice(0, 3),
      { id: 'idle', label: 'User presence (idle time)', health: 'unavailable', detail: 'no idle source works' },
    ];
    const m = trayModel(inputs({ sources }));
    expect([m.state, m.iconFile]).toEqual(['degraded', 'tray/degraded.png']);
    expect(m.tooltip).toBe('Idlewatch: Not fully working: User presence (idle time)');
    expect(labels(m.menu)).toContain('⚠ User presence (idle time): no idle source works');
    const engineDown = trayModel(
      inputs({ status: status({ error: 'engine restarting (attempt 2): the engine process was killed' }) }),
    );
    expect(engineDown.state).toBe('degraded');
    expect(engineDown.menu[0]).toEqual({
      type: 'label',
      label: 'Not fully working: engine restarting (attempt 2): the engine process was killed',
    });
  });

  it('keeps the tooltip under 127 characters and strips hostile names', () => {
    const evil = `\u202Eexe.tsohcvs\n${'A'.repeat(300)}\u200F\u0007`;
    const m = trayModel(
      inputs({
        status: status({ open: { low: 0, medium: 0, high: 3 } }),
        incidents: [
          { key: '1@1', name: evil, severity: 'high' },
          { key: '2@1', name: evil, severity: 'high' },
          { key: '3@1', name: evil, severity: 'high' },
        ],
      }),
    );
    expect(Array.from(m.tooltip).length).toBeLessThanOrEqual(TOOLTIP_MAX);
    expect(m.tooltip.length).toBeLessThan(127);
    for (const text of [m.tooltip, ...labels(m.menu)]) {
      expect(text).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    }
    expect(m.tooltip).toMatch(/^Idlewatch: Alert: 3 suspicious processes \(3 high\) — exe\.tsohcvs A+…/);
  });

  it('names the right icon on each platform: ICO on Windows, templates and a red alert on macOS', () => {
    expect(trayModel(inputs({ platform: 'win32' })).iconFile).toBe('tray/watching.ico');
    const mac = trayModel(inputs({ platform: 'darwin' }));
    expect([mac.iconFile, mac.title]).toEqual(['tray/watchingTemplate.png', '']);
    const macAlert = trayModel(
      inputs({ platform: 'darwin', status: status({ open: { low: 0, medium: 1, high: 0 } }) }),
    );
    expect([macAlert.iconFile, macAlert.title]).toEqual(['tray/alert-mac.png', '!']);
  });
});

describe('ShellState', () => {
  const view = (key: string, extra: Partial<IncidentView>): IncidentView =>
    ({
      key,
      name: `p${key}`,
      severity: 'high',
      live: true,
      reviewed: false,
      allowlisted: false,
      ...extra,
    }) as IncidentView;

  it('keeps open live incidents, drops reviewed, allowlisted and low ones, and follows events', () => {
    const s = new ShellState();
    s.apply('incident:changed', { incident: view('1@1', {}), change: 'raised' });
    s.apply('incident:changed', { incident: view('2@1', { severity: 'medium' }), change: 'raised' });
    s.apply('incident:changed', { incident: view('3@1', { allowlisted: true }), change: 'raised' });
    s.apply('incident:changed', { incident: view('4@1', { severity: 'low' }), change: 'raised' });
    s.apply('incident:changed', { incident: view('5@1', { live: false }), change: 'updated' });
    expect(s.openIncidents().map((i) => i.key)).toEqual(['1@1', '2@1']);
    s.apply('incident:changed', { incident: view('1@1', { reviewed: true }), change: 'reviewed' });
    expect(s.openIncidents().map((i) => i.key)).toEqual(['2@1']);
    s.apply('settings:changed', {
      idleThresholdSec: 60,
      sensitivity: 'normal',
      notifications: true,
      quietWhileFullscreen: true,
      notifyHighWhileFullscreen: false,
      launchAtLogin: true,
      samplingIntervalMs: 1000,
      historyRetentionDays: 30,
    });
    s.apply('engine:sample', {
      sample: { user: { state: 'locked' } } as never,
      sources: OK,
      procs: null,
    });
    const i = s.inputs(NOW, 'linux');
    expect([i.launchAtLogin, i.userState, i.incidents.length]).toEqual([true, 'locked', 1]);
    // Before any status arrives the incidents count.
    expect(trayModel(i).state).toBe('alert');
  });
});
