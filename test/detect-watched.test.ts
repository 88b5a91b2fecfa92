import { describe, expect, it } from 'vitest';
import type { Incident } from '../shared/detection.js';
import { Detector, detectSamples } from '../main/engine/detect/detector.js';
import { buildStream, type LoadContext, type SimProc, wobble } from '../main/engine/detect/sample-builder.js';
import {
  armHide,
  type ChannelNow,
  HIDE_RESUME_MS,
  hideDetail,
  stepHide,
  watchToolLabel,
} from '../main/engine/detect/signals/watched.js';

const rulesOf = (i: Incident | undefined): string[] => i?.reasons.map((r) => r.rule) ?? [];

describe('watchToolLabel: process monitors by name at their installed paths', () => {
  it('knows the tools of each platform', () => {
    expect(watchToolLabel('htop', '/usr/bin/htop', 'linux')).toBe('htop');
    expect(watchToolLabel('top', '/usr/bin/top', 'linux')).toBe('top');
    expect(watchToolLabel('btop', '/usr/local/bin/btop', 'linux')).toBe('btop');
    expect(watchToolLabel('gnome-system-mo', '/usr/bin/gnome-system-monitor', 'linux')).toBe('GNOME System Monitor');
    expect(watchToolLabel('plasma-systemmo', '/usr/bin/plasma-systemmonitor', 'linux')).toBe('Plasma System Monitor');
    expect(watchToolLabel('Taskmgr.exe', 'C:\\Windows\\System32\\Taskmgr.exe', 'win32')).toBe('Task Manager');
    expect(watchToolLabel('perfmon.exe', 'C:\\WINDOWS\\system32\\perfmon.exe', 'win32')).toBe('Performance Monitor');
    expect(watchToolLabel('resmon.exe', 'C:\\Windows\\System32\\resmon.exe', 'win32')).toBe('Resource Monitor');
    expect(watchToolLabel('procexp64.exe', 'C:\\Users\\ana\\Downloads\\ProcessExplorer\\procexp64.exe', 'win32')).toBe(
      'Process Explorer',
    );
    expect(watchToolLabel('ProcessHacker.exe', 'C:\\Program Files\\Process Hacker 2\\ProcessHacker.exe', 'win32')).toBe(
      'Process Hacker',
    );
    expect(watchToolLabel('SystemInformer.exe', 'C:\\Program Files\\SystemInformer\\SystemInformer.exe', 'win32')).toBe(
      'System Informer',
    );
    expect(
      watchToolLabel(
        'Activity Monitor',
        '/System/Applications/Utilities/Activity Monitor.app/Contents/MacOS/Activity Monitor',
        'darwin',
      ),
    ).toBe('Activity Monitor');
  });

  it('refuses a look-alike outside the install folder, and unrelated programs', () => {
    expect(watchToolLabel('htop', '/tmp/.x/htop', 'linux')).toBeNull();
    expect(watchToolLabel('Taskmgr.exe', 'C:\\Users\\ana\\AppData\\Local\\Temp\\Taskmgr.exe', 'win32')).toBeNull();
    expect(watchToolLabel('Activity Monitor', '/Users/ana/Library/.x/Activity Monitor', 'darwin')).toBeNull();
    expect(watchToolLabel('topgrade', '/usr/bin/topgrade', 'linux')).toBeNull();
    expect(watchToolLabel('bash', '/usr/bin/bash', 'linux')).toBeNull();
    // Task Manager is Windows': on Linux a "taskmgr" is just a name.
    expect(watchToolLabel('taskmgr', '/usr/bin/taskmgr', 'linux')).toBeNull();
  });

  it('takes the name alone when the path could not be read (an elevated Task Manager seen unprivileged)', () => {
    expect(watchToolLabel('Taskmgr.exe', null, 'win32')).toBe('Task Manager');
  });
});

describe('stepHide: near zero within seconds of the watch, down while it lasts, back after', () => {
  const busy: ChannelNow = { busy: true, raw: 60, level: 60, runMs: 120_000, thr: { on: 25, off: 12 } };

  it('arms only on a load at work for a while', () => {
    expect(armHide('cpu', busy, 'htop', 1000)).not.toBeNull();
    expect(armHide('cpu', { ...busy, runMs: 5000 }, 'htop', 1000)).toBeNull();
    expect(armHide('cpu', { ...busy, busy: false }, 'htop', 1000)).toBeNull();
    expect(armHide('cpu', { ...busy, raw: 10 }, 'htop', 1000)).toBeNull();
  });

  it('hid: fell, stayed down while watched, came back after', () => {
    const h = armHide('cpu', busy, 'htop', 10_000)!;
    expect(stepHide(h, 30, 11_000, true, 12, 1000)).toBe('waiting');
    expect(stepHide(h, 0.5, 12_000, true, 12, 1000)).toBe('waiting');
    for (let t = 13_000; t <= 40_000; t += 1000) expect(stepHide(h, 0, t, true, 12, 1000)).toBe('waiting');
    expect(stepHide(h, 0, 41_000, false, 12, 1000)).toBe('waiting');
    expect(stepHide(h, 0, 43_000, false, 12, 1000)).toBe('waiting');
    expect(stepHide(h, 58, 45_000, false, 12, 1000)).toBe('hid');
    expect(hideDetail(h, 45_000, 1)).toBe(
      'CPU fell 60% to 0% within 2 s of htop opening and came back 4 s after it closed: it hides from whoever looks',
    );
  });

  it('dropped: kept going, came back while still watched, or never came back', () => {
    const kept = armHide('cpu', busy, 'top', 0)!;
    let last = 'waiting';
    for (let t = 1000; t <= 8000 && last === 'waiting'; t += 1000) last = stepHide(kept, 55, t, true, 12, 1000);
    expect(last).toBe('dropped');

    const peek = armHide('cpu', busy, 'top', 0)!;
    expect(stepHide(peek, 0, 2000, true, 12, 1000)).toBe('waiting');
    expect(stepHide(peek, 50, 20_000, true, 12, 1000)).toBe('dropped');

    const ended = armHide('cpu', busy, 'top', 0)!;
    expect(stepHide(ended, 0, 2000, true, 12, 1000)).toBe('waiting');
    expect(stepHide(ended, 0, 10_000, false, 12, 1000)).toBe('waiting');
    expect(stepHide(ended, 0, 10_000 + HIDE_RESUME_MS + 1000, false, 12, 1000)).toBe('dropped');
  });

  it('a half-speed slowdown is not near zero', () => {
    const h = armHide('cpu', busy, 'top', 0)!;
    let last = 'waiting';
    for (let t = 1000; t <= 8000 && last === 'waiting'; t += 1000) last = stepHide(h, 20, t, true, 12, 1000);
    expect(last).toBe('dropped');
  });
});

/** htop runs 60-90 s and 200-230 s (and a second time when `twice`). */
const HTOP_1 = { from: 60_000, to: 90_000 };
const HTOP_2 = { from: 200_000, to: 230_000 };
const inSpan = (t: number, s: { from: number; to: number }): boolean => t >= s.from && t < s.to;

function htop(pid: number, span: { from: number; to: number }): SimProc {
  return {
    pid,
    name: 'htop',
    exe: '/usr/bin/htop',
    cmdline: 'htop',
    startT: span.from,
    ...span,
    load: () => ({ cpu: 2 }),
  };
}

/** A CPU miner in an ordinary-looking place that mines all the time and pauses while a monitor runs. */
function shy(pid: number, watched: (c: LoadContext) => boolean, level = 180): SimProc {
  return {
    pid,
    name: 'dbus-daemon-helper',
    exe: '/home/ana/.local/bin/dbus-daemon-helper',
    load: (c) => (watched(c) ? { cpu: 0.2 } : { cpu: level + wobble(c.t, pid) * 2 }),
  };
}

describe('detector: hides-when-watched', () => {
  it('a miner that stops when htop appears and resumes when it exits', () => {
    const watchedAt = (c: LoadContext): boolean =>
      // It polls the process list: a second or two late both ways.
      inSpan(c.t, { from: HTOP_1.from + 1500, to: HTOP_1.to + 3000 }) ||
      inSpan(c.t, { from: HTOP_2.from + 1500, to: HTOP_2.to + 3000 });
    const { header, samples } = buildStream({
      session: [{ kind: 'active', sec: 300 }],
      procs: [shy(5000, watchedAt), htop(6001, HTOP_1), htop(6002, HTOP_2)],
    });
    const d = new Detector(header);
    let first: Incident | undefined;
    for (const s of samples) {
      d.push(s);
      if (s.t === 100_000) first = d.incidents().find((i) => i.pid === 5000);
    }
    d.finish();
    // Once: evidence, but alone not enough to alert.
    expect(first?.severity).toBe('low');
    expect(first?.reasons.find((r) => r.rule === 'hides-when-watched')?.detail).toMatch(
      /^CPU fell 1\d\d% to 0% within [12] s of htop opening and came back [3-5] s after it closed/,
    );
    const inc = d.incidents().find((i) => i.pid === 5000);
    expect(rulesOf(inc)).toContain('hides-when-watched');
    expect(inc?.reasons.find((r) => r.rule === 'hides-when-watched')?.detail).toMatch(/\(2 times\)/);
    // htop itself, and nothing else, is never raised.
    expect(d.incidents().map((i) => i.pid)).toEqual([5000]);
  });

  it('with the load kept while the user is away, hiding turns the steady load into an alert', () => {
    const watchedAt = (c: LoadContext): boolean => inSpan(c.t, { from: HTOP_1.from + 1000, to: HTOP_1.to + 2000 });
    const session = [
      { kind: 'active' as const, sec: 200 },
      { kind: 'away' as const, sec: 600 },
      { kind: 'active' as const, sec: 120 },
    ];
    const procs = [shy(5000, watchedAt), htop(6001, HTOP_1)];
    const withTool = detectSamples(
      buildStream({ session, procs }).header,
      buildStream({ session, procs }).samples,
    ).find((i) => i.pid === 5000);
    expect(rulesOf(withTool)).toContain('hides-when-watched');
    expect(withTool?.severity).toBe('medium');
    // The same program with no monitor ever opened: a steady job the user left running.
    const plain = buildStream({ session, procs: [shy(5000, () => false)] });
    const without = detectSamples(plain.header, plain.samples).find((i) => i.pid === 5000);
    expect(without === undefined || without.severity === 'low').toBe(true);
  });

  it('a load that keeps going, or just ends, while htop is open is not hiding', () => {
    const { header, samples } = buildStream({
      session: [{ kind: 'active', sec: 300 }],
      procs: [
        // A build that keeps going.
        {
          pid: 7000,
          name: 'cc1plus',
          exe: '/usr/libexec/gcc/cc1plus',
          load: (c) => ({ cpu: 95 + wobble(c.t, 3) * 3 }),
        },
        // A job that ends while htop is open and does not come back.
        { pid: 7001, name: 'ffmpeg', exe: '/usr/bin/ffmpeg', load: (c) => ({ cpu: c.t < 62_000 ? 300 : 0 }) },
        htop(6001, HTOP_1),
      ],
    });
    const list = detectSamples(header, samples);
    for (const i of list) expect(rulesOf(i)).not.toContain('hides-when-watched');
  });

  it('a tool already open when monitoring began is no event', () => {
    const { header, samples } = buildStream({
      session: [{ kind: 'active', sec: 200 }],
      procs: [shy(5000, (c) => c.t < 90_000), htop(6001, { from: 0, to: 90_000 })],
    });
    const list = detectSamples(header, samples);
    expect(rulesOf(list.find((i) => i.pid === 5000))).not.toContain('hides-when-watched');
  });
});

describe('detector: each opening counts on its own', () => {
  it('an htop left open all day in a terminal does not hide a later Task-Manager-style opening', () => {
    const watchedAt = (c: LoadContext): boolean =>
      inSpan(c.t, { from: HTOP_1.from + 1500, to: HTOP_1.to + 3000 }) ||
      inSpan(c.t, { from: HTOP_2.from + 1500, to: HTOP_2.to + 3000 });
    const { header, samples } = buildStream({
      session: [{ kind: 'active', sec: 300 }],
      procs: [
        { pid: 3000, name: 'htop', exe: '/usr/bin/htop', cmdline: 'htop', load: () => ({ cpu: 1 }) },
        shy(5000, watchedAt),
        htop(6001, HTOP_1),
        htop(6002, HTOP_2),
      ],
    });
    const inc = detectSamples(header, samples).find((i) => i.pid === 5000);
    expect(inc?.reasons.find((r) => r.rule === 'hides-when-watched')?.detail).toMatch(/\(2 times\)/);
  });
});

describe('detector: the Idlewatch window as the watcher', () => {
  /** The window opens 60-90 s and 200-230 s; the miner pauses a second after each opening. */
  function run(fullscreen: boolean): Incident | undefined {
    const watchedAt = (t: number): boolean =>
      inSpan(t, { from: HTOP_1.from + 1000, to: HTOP_1.to + 4000 }) ||
      inSpan(t, { from: HTOP_2.from + 1000, to: HTOP_2.to + 4000 });
    const { header, samples } = buildStream({
      session: [{ kind: 'active', sec: 300 }],
      procs: [shy(5000, (c) => watchedAt(c.t))],
    });
    const d = new Detector(header, { fullscreen: () => fullscreen });
    for (const s of samples) {
      // The monitor calls markWatched between samples, when the service hears of the window.
      if (s.t === HTOP_1.from || s.t === HTOP_2.from) d.markWatched(true);
      if (s.t === HTOP_1.to || s.t === HTOP_2.to) d.markWatched(false);
      d.push(s);
    }
    d.finish();
    return d.incidents().find((i) => i.pid === 5000);
  }

  it('load that drops when the window opens and comes back after it closes is evidence', () => {
    const inc = run(false);
    const r = inc?.reasons.find((x) => x.rule === 'hides-when-watched');
    expect(r?.detail).toMatch(/of the Idlewatch window opening and came back \d+ s after it closed \(2 times\)/);
  });

  it('not while a fullscreen app had the screen: a game losing focus pauses for that reason', () => {
    expect(rulesOf(run(true))).not.toContain('hides-when-watched');
  });
});
