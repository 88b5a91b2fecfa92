import { describe, expect, it } from 'vitest';
import type { Incident, RuleId } from '../shared/detection.js';
import type { TraceSample } from '../shared/trace.js';
import { Detector, type DetectorEvent, detectSamples } from '../main/engine/detect/detector.js';
import { buildStream, type Segment, type SimProc, wobble } from '../main/engine/detect/sample-builder.js';
import { LoadChannel } from '../main/engine/detect/signals/load.js';
import { classifyOnset, onsetDetail } from '../main/engine/detect/signals/onset.js';
import { type StopWatch, stepWatch, stopDetail } from '../main/engine/detect/signals/stop-watch.js';

const rules = (i: Incident | undefined): RuleId[] => i?.reasons.map((r) => r.rule) ?? [];
const byPid = (list: Incident[], pid: number): Incident | undefined => list.find((i) => i.pid === pid);

/** A plain desktop process that never does much. */
const shell: SimProc = {
  pid: 1200,
  name: 'gnome-shell',
  exe: '/usr/bin/gnome-shell',
  load: (c) => ({ cpu: c.away ? 0.5 : 6 }),
};

/** Loads only once the user has been gone `afterMs`, stops the moment they return. */
function stealth(
  pid: number,
  exe: string,
  kind: 'gpu' | 'cpu',
  afterMs = 90_000,
  level = kind === 'gpu' ? 95 : 390,
): SimProc {
  return {
    pid,
    name: exe.split('/').pop() ?? 'x',
    exe,
    load: (c) => {
      const on = c.awayMs !== null && c.awayMs >= afterMs;
      const v = on ? level + wobble(c.t, pid) * level * 0.01 : 0;
      return kind === 'gpu' ? { gpu: v, cpu: on ? 1 : 0.2 } : { cpu: v || 0.2 };
    },
  };
}

const leaveAndReturn: Segment[] = [
  { kind: 'active', sec: 120 },
  { kind: 'away', sec: 600 },
  { kind: 'active', sec: 120 },
];

describe('idle-time load rules', () => {
  it('catches a stealth GPU miner by behaviour alone: onset after idle, flat load, stops on input', () => {
    const { header, samples } = buildStream({
      session: leaveAndReturn,
      procs: [shell, stealth(4242, '/home/ana/.local/bin/helper', 'gpu')],
    });
    const events: DetectorEvent[] = [];
    const d = new Detector(header);
    for (const s of samples) events.push(...d.push(s));
    events.push(...d.finish());
    const inc = byPid(d.incidents(), 4242);
    expect(inc?.severity).toBe('high');
    expect(rules(inc)).toEqual(
      expect.arrayContaining(['gpu-while-idle', 'onset-after-idle', 'steady-load', 'stops-on-activity']),
    );
    // The load starts 90 s after the user left (120 s + 90 s); medium within a minute of it.
    const firstLoad = 210_000;
    expect(inc!.firstAt).toBeGreaterThanOrEqual(firstLoad);
    expect(inc!.firstAt - firstLoad).toBeLessThanOrEqual(60_000);
    expect(inc!.lastAt).toBe(samples[samples.length - 1]!.t);
    expect(inc!.idleGpuSec).toBeGreaterThan(400 * 0.9);
    const stop = inc!.reasons.find((r) => r.rule === 'stops-on-activity');
    expect(stop?.detail).toMatch(/GPU fell 9\d% to 0% within [1-6] s of your input/);
    // The stop-on-input mark arrives late, with the user.
    const stopSeen = events.find(
      (e) => e.type !== 'away-summary' && e.type !== 'notify' && rules(e.incident).includes('stops-on-activity'),
    );
    expect(stopSeen?.t).toBeGreaterThanOrEqual(720_000);
    // Idle-only processes are not flagged.
    expect(byPid(d.incidents(), 1200)).toBeUndefined();
  });

  it('catches a CPU-only stealth miner, weaker alone but enough together', () => {
    const { header, samples } = buildStream({
      session: leaveAndReturn,
      procs: [stealth(777, '/home/ana/.local/share/audiosrv/audiosrv', 'cpu')],
    });
    const inc = byPid(detectSamples(header, samples), 777);
    expect(rules(inc)).toEqual(
      expect.arrayContaining(['cpu-while-idle', 'onset-after-idle', 'steady-load', 'stops-on-activity']),
    );
    expect(inc?.severity).toBe('high');
    expect(inc!.firstAt - 210_000).toBeLessThanOrEqual(60_000);
    expect(inc!.reasons.find((r) => r.rule === 'cpu-while-idle')?.detail).toMatch(/CPU 39\d% \(about 4 cores\)/);
  });

  it('leaves a game running in its menu alone', () => {
    const game: SimProc = {
      pid: 5000,
      name: 'eldenring.exe',
      exe: '/home/ana/.local/share/Steam/steamapps/common/ELDEN RING/Game/eldenring.exe',
      startT: 30_000,
      from: 30_000,
      load: (c) => ({ gpu: 70 + wobble(c.t, 3) * 15, cpu: 160 + wobble(c.t, 5) * 40 }),
    };
    const s = buildStream({ session: leaveAndReturn, procs: [game] });
    const inc = byPid(detectSamples(s.header, s.samples), 5000);
    expect(inc?.severity ?? 'none').not.toMatch(/medium|high/);
  });

  it('keeps a job that was busy before the user left and after they came back low, and says why', () => {
    const job: SimProc = {
      pid: 5001,
      name: 'sim',
      exe: '/home/ana/work/sim/build/sim',
      startT: 30_000,
      from: 30_000,
      load: (c) => ({ gpu: 90 + wobble(c.t, 3) * 6, cpu: 100 + wobble(c.t, 5) * 5 }),
    };
    const s = buildStream({ session: leaveAndReturn, procs: [job] });
    const inc = byPid(detectSamples(s.header, s.samples), 5001);
    expect(inc?.severity).toBe('low');
    expect(rules(inc)).toContain('gpu-while-idle');
    expect(rules(inc)).not.toContain('onset-after-idle');
    expect(inc?.reasons.find((r) => r.rule === 'benign-idle-work')?.detail).toMatch(
      /already busy before you left and kept going after you came back/,
    );
  });

  it('does not call a job the user closes on return a stealth stop', () => {
    // A render started while the user was here, which they stop when they come back.
    const render: SimProc = {
      pid: 5100,
      name: 'trainer',
      exe: '/home/ana/bin/trainer',
      load: (c) => (c.t < 725_000 ? { gpu: 97 + wobble(c.t, 2), cpu: 100 } : {}),
    };
    const s = buildStream({ session: leaveAndReturn, procs: [render] });
    const inc = byPid(detectSamples(s.header, s.samples), 5100);
    expect(rules(inc)).not.toContain('stops-on-activity');
    expect(inc?.severity ?? 'low').toBe('low');
  });

  it('ignores short idle blips and brief bursts', () => {
    const session: Segment[] = [
      { kind: 'active', sec: 60 },
      { kind: 'away', sec: 75 }, // idle for 15 s only
      { kind: 'active', sec: 60 },
    ];
    const s = buildStream({ session, procs: [stealth(10, '/home/ana/.local/bin/x', 'gpu', 60_000)] });
    expect(detectSamples(s.header, s.samples)).toEqual([]);
  });

  it('does not alert on OS maintenance that starts while the user is away', () => {
    const pk: SimProc = {
      pid: 900,
      name: 'packagekitd',
      exe: '/usr/libexec/packagekitd',
      user: 'root',
      load: (c) => (c.awayMs !== null && c.awayMs > 100_000 && c.awayMs < 400_000 ? { cpu: 95 + wobble(c.t) * 3 } : {}),
    };
    const s = buildStream({ session: leaveAndReturn, procs: [pk] });
    const inc = byPid(detectSamples(s.header, s.samples), 900);
    expect(inc?.severity ?? 'low').toBe('low');
    if (inc) expect(rules(inc)).toContain('benign-idle-work');
  });

  it('counts a locked screen as away and words the onset after the lock', () => {
    const session: Segment[] = [
      { kind: 'active', sec: 60 },
      { kind: 'locked', sec: 300 },
      { kind: 'active', sec: 60 },
    ];
    const s = buildStream({ session, procs: [stealth(31, '/home/ana/.config/autostart-helper/svc', 'gpu', 5000)] });
    const inc = byPid(detectSamples(s.header, s.samples), 31);
    expect(inc?.severity).toBe('high');
    expect(inc?.reasons.find((r) => r.rule === 'onset-after-idle')?.detail).toMatch(/after the screen locked/);
    expect(inc?.reasons.find((r) => r.rule === 'gpu-while-idle')?.detail).toMatch(/screen locked/);
  });

  it('uses time, not sample counts: 5 s sampling with gaps still catches the miner within a minute', () => {
    const s = buildStream({
      session: leaveAndReturn,
      intervalMs: 5000,
      gaps: [{ from: 300_000, to: 340_000 }],
      procs: [stealth(44, '/home/ana/.local/bin/helper', 'gpu')],
    });
    const inc = byPid(detectSamples(s.header, s.samples), 44);
    expect(inc?.severity).toBe('high');
    expect(inc!.firstAt - 210_000).toBeLessThanOrEqual(60_000);
    expect(inc!.idleGpuSec).toBeGreaterThan(300);
  });

  it('with no idle source, idle rules cannot fire but signatures still do', () => {
    const session: Segment[] = [{ kind: 'unknown', sec: 600 }];
    const s = buildStream({
      session,
      procs: [
        { pid: 50, name: 'helper', exe: '/home/ana/.local/bin/helper', load: (c) => ({ gpu: 96 + wobble(c.t) }) },
        {
          pid: 51,
          name: 'sysd',
          exe: '/opt/sysd/sysd',
          cmdline: '/opt/sysd/sysd -o stratum+tcp://pool.example.net:3333 -u wallet -p x --donate-level 1',
          load: () => ({ cpu: 400 }),
        },
      ],
    });
    const list = detectSamples(s.header, s.samples);
    const miner = byPid(list, 51);
    expect(miner?.severity).toBe('high');
    expect(rules(miner)).toContain('miner-signature');
    for (const i of list) {
      expect(rules(i)).not.toContain('gpu-while-idle');
      expect(rules(i)).not.toContain('onset-after-idle');
      expect(rules(i)).not.toContain('stops-on-activity');
    }
    expect((byPid(list, 50)?.severity ?? 'low') === 'low').toBe(true);
  });

  it('treats gpu null and absent as not measured, never as load', () => {
    const s = buildStream({
      session: leaveAndReturn,
      procs: [{ pid: 60, name: 'x', exe: '/usr/bin/x', load: () => ({ gpu: null, cpu: 0 }) }],
    });
    expect(detectSamples(s.header, s.samples)).toEqual([]);
  });

  it('flags an established connection to a stratum port, weakly', () => {
    const s = buildStream({
      session: [{ kind: 'active', sec: 30 }],
      procs: [
        {
          pid: 70,
          name: 'updater',
          exe: '/opt/updater/updater',
          conns: [{ proto: 'tcp', remote: '198.51.100.7:3333', state: 'ESTABLISHED' }],
        },
      ],
    });
    const inc = byPid(detectSamples(s.header, s.samples), 70);
    expect(inc?.severity).toBe('low');
    expect(inc?.reasons).toEqual([
      { rule: 'pool-connection', detail: 'connected to 198.51.100.7:3333, a port mining pools use' },
    ]);
  });

  it('does not trust a browser: a tab that loads only while you are away is flagged', () => {
    const tab: SimProc = {
      pid: 3100,
      ppid: 3000,
      name: 'chrome',
      exe: '/opt/google/chrome/chrome',
      cmdline: '/opt/google/chrome/chrome --type=renderer --lang=en-US',
      load: (c) => ({ cpu: c.awayMs !== null && c.awayMs > 80_000 ? 300 + wobble(c.t) * 4 : 2 }),
    };
    const main: SimProc = {
      pid: 3000,
      name: 'chrome',
      exe: '/opt/google/chrome/chrome',
      load: (c) => ({ cpu: c.away ? 1 : 8 }),
    };
    const s = buildStream({ session: leaveAndReturn, procs: [main, tab] });
    const inc = byPid(detectSamples(s.header, s.samples), 3100);
    expect(inc?.severity).toBe('high');
    expect(inc?.reasons.find((r) => r.rule === 'browser-idle-load')?.detail).toMatch(/browser renderer \(a tab\)/);
  });

  it('lowers media playback that holds an idle inhibitor', () => {
    const session: Segment[] = [
      { kind: 'active', sec: 60 },
      { kind: 'away', sec: 900, inhibitors: ['VLC media player'] },
      { kind: 'active', sec: 60 },
    ];
    const vlc: SimProc = {
      pid: 80,
      name: 'vlc',
      exe: '/usr/bin/vlc',
      load: (c) => (c.awayMs !== null && c.awayMs > 30_000 ? { gpu: 25 + wobble(c.t), cpu: 0.5 } : {}),
    };
    const s = buildStream({ session, procs: [vlc] });
    const inc = byPid(detectSamples(s.header, s.samples), 80);
    expect(inc?.severity).toBe('low');
    expect(inc?.reasons.find((r) => r.rule === 'benign-idle-work')?.detail).toMatch(/holds an idle inhibitor/);
  });

  it('keeps its own identity table: a reused pid is a new process, and exits are dropped', () => {
    const s = buildStream({
      session: [{ kind: 'unknown', sec: 120 }],
      procs: [
        { pid: 90, name: 'xmrig', exe: '/tmp/xmrig', from: 0, to: 30_000 },
        { pid: 90, name: 'xmrig', exe: '/tmp/xmrig', from: 60_000, startT: 60_000 },
      ],
    });
    const d = new Detector(s.header);
    let peak = 0;
    for (const smp of s.samples) {
      d.push(smp);
      peak = Math.max(peak, d.liveProcesses);
    }
    const list = d.incidents().filter((i) => i.pid === 90);
    expect(list.map((i) => i.startT)).toEqual([0, 60_000]);
    expect(list[0]!.lastAt).toBeLessThan(30_000);
    expect(list[1]!.firstAt).toBeGreaterThanOrEqual(60_000);
    expect(peak).toBe(1);
  });

  it('writes an away summary when the user returns', () => {
    const s = buildStream({
      session: leaveAndReturn,
      procs: [shell, stealth(4242, '/home/ana/.local/bin/helper', 'gpu')],
    });
    const d = new Detector(s.header);
    const summaries = [...s.samples.flatMap((x) => d.push(x)), ...d.finish()].filter((e) => e.type === 'away-summary');
    expect(summaries).toHaveLength(1);
    const sum = summaries[0]!.type === 'away-summary' ? summaries[0]!.summary : null;
    expect(sum?.from).toBe(180_000);
    expect(sum?.to).toBeGreaterThanOrEqual(720_000);
    const row = sum?.processes.find((p) => p.pid === 4242);
    expect(row).toMatchObject({ name: 'helper', severity: 'high' });
    expect(row!.busySec).toBeGreaterThan(400);
    expect(row!.gpuSec).toBeGreaterThan(400);
    expect(sum?.processes.find((p) => p.pid === 1200)).toBeUndefined();
  });
});

describe('scale', () => {
  it('replays 1000 processes per sample quickly and drops exited ones from the working set', () => {
    const procs: SimProc[] = [];
    for (let i = 0; i < 1000; i++) {
      // Churn: a tenth of them are short-lived and replaced by new pids.
      const short = i % 10 === 0;
      procs.push({
        pid: 10_000 + i,
        name: `p${i}`,
        exe: `/usr/bin/p${i}`,
        load: (c) => ({ cpu: (c.t / 1000 + i) % 17 === 0 ? 3 : 0 }),
      });
      if (short)
        for (let k = 0; k < 6; k++)
          procs.push({
            pid: 100_000 + i * 10 + k,
            name: 'sh',
            exe: '/usr/bin/dash',
            from: k * 100_000,
            to: k * 100_000 + 50_000,
          });
    }
    const s = buildStream({
      session: [
        { kind: 'active', sec: 60 },
        { kind: 'away', sec: 540 },
      ],
      procs,
    });
    const d = new Detector(s.header);
    const t0 = performance.now();
    let maxLive = 0;
    for (const smp of s.samples) {
      d.push(smp);
      maxLive = Math.max(maxLive, d.liveProcesses);
    }
    const ms = performance.now() - t0;
    // 600 samples x ~1100 processes; the 3600-sample hour runs in a few seconds at this rate.
    expect(ms).toBeLessThan(4000);
    expect(maxLive).toBeLessThanOrEqual(1100);
    expect(d.liveProcesses).toBeLessThanOrEqual(1100);
  });
});

describe('determinism', () => {
  it('gives the same incidents for the same stream (the clock is only t)', () => {
    const s = buildStream({ session: leaveAndReturn, procs: [shell, stealth(4242, '/tmp/.x/helper', 'gpu')] });
    const copy = JSON.parse(JSON.stringify(s.samples)) as TraceSample[];
    expect(detectSamples(s.header, s.samples)).toEqual(detectSamples(s.header, copy));
  });
});

describe('rule building blocks', () => {
  it('a load series: hysteresis, time-based smoothing, flatness that survives a warm-up ramp', () => {
    const ch = new LoadChannel('cpu', 0);
    let t = 0;
    const feed = (v: number, dt = 1000, away = true): boolean => {
      t += dt;
      return ch.update(v, t, dt, away);
    };
    expect(feed(0)).toBe(false);
    expect(feed(3)).toBe(false);
    // A 9 s ramp to 1200% then flat: busy at once, flat soon after the ramp.
    for (let i = 1; i <= 9; i++) feed((1200 * i) / 9);
    expect(ch.busy).toBe(true);
    for (let i = 0; i < 40; i++) feed(1200 + wobble(t) * 10);
    expect(ch.steady(30_000)).toBe(true);
    expect(ch.awayRunMs).toBeGreaterThan(45_000);
    // On/off duty cycling is not flat.
    const duty = new LoadChannel('gpu', 0);
    for (let i = 1; i <= 120; i++) duty.update(i % 4 < 2 ? 95 : 0, i * 1000, 1000, true);
    expect(duty.busy).toBe(true);
    expect(duty.steady(30_000)).toBe(false);
    // The same 60 s at 5 s sampling behaves the same.
    const slow = new LoadChannel('gpu', 0);
    for (let i = 1; i <= 12; i++) slow.update(95, i * 5000, 5000, true);
    expect(slow.awayRunMs).toBe(60_000);
    expect(slow.steady(30_000)).toBe(true);
    // A long quiet spell ends the run.
    for (let i = 13; i <= 30; i++) slow.update(0, i * 5000, 5000, true);
    expect(slow.busy).toBe(false);
  });

  it('classifies onset: after the user left, already running, or unknowable', () => {
    const run = {
      kind: 'gpu' as const,
      busySince: 200_000,
      quietSince: 0,
      lastRunStart: Number.NEGATIVE_INFINITY,
      lastRunEnd: Number.NEGATIVE_INFINITY,
    };
    const absence = {
      leftAt: 120_000,
      lockStartT: null,
      lastActiveT: 179_000,
      startT: -1_000_000,
      siblingBusyT: undefined,
    };
    expect(classifyOnset(run, absence)).toBe('onset');
    expect(onsetDetail(run, absence)).toBe(
      'GPU load began 1 min 20 s after your last input; it was quiet while you were using the computer',
    );
    expect(classifyOnset({ ...run, busySince: 100_000 }, absence)).toBe('continuing');
    // A new compiler process of a build the user started.
    expect(classifyOnset(run, { ...absence, startT: 195_000, siblingBusyT: 118_000 })).toBe('continuing');
    // Busy from the first sample of a trace that begins while the user is away.
    expect(classifyOnset({ ...run, quietSince: 200_000 }, { ...absence, lastActiveT: null })).toBe('unknown');
    // Started after the user left and went straight to work.
    expect(onsetDetail({ ...run, quietSince: 199_000 }, { ...absence, startT: 199_000 })).toBe(
      'started 1 min 19 s after your last input and went straight to work',
    );
    // Locked: the lock is the moment.
    const locked = { ...absence, leftAt: 119_000, lockStartT: 120_000, lastActiveT: 119_000 };
    expect(classifyOnset({ ...run, busySince: 125_000 }, locked)).toBe('onset');
    expect(onsetDetail({ ...run, busySince: 125_000 }, locked)).toMatch(/began 5 s after the screen locked/);
  });

  it('a stop must come within seconds of the input and last', () => {
    const watch = (): StopWatch => ({ kind: 'gpu', pre: 95, inputT: 100_000, fellAt: null, fellTo: 0, runMs: 300_000 });
    const w = watch();
    expect(stepWatch(w, 40, true, 101_000, 8, 1000)).toBe('waiting');
    expect(stepWatch(w, 2, true, 102_000, 8, 1000)).toBe('waiting');
    expect(w.fellAt).toBe(102_000);
    expect(stepWatch(w, 0, false, 110_000, 8, 1000)).toBe('waiting');
    expect(stepWatch(w, 0, false, 120_000, 8, 1000)).toBe('stopped');
    expect(stopDetail(w, w.fellAt!, false)).toBe('GPU fell 95% to 0% within 2 s of your input');
    const bounce = watch();
    stepWatch(bounce, 0, true, 101_000, 8, 1000);
    expect(stepWatch(bounce, 90, true, 104_000, 8, 1000)).toBe('resumed');
    const job = watch();
    expect(stepWatch(job, 93, true, 103_000, 8, 1000)).toBe('waiting');
    expect(stepWatch(job, 94, true, 107_000, 8, 1000)).toBe('kept-going');
  });
});

describe('gaps the clock cannot show', () => {
  it('markGap (a short suspend, monitoring paused) keeps the gap out of every run and every total', () => {
    const s = buildStream({
      session: leaveAndReturn,
      gaps: [{ from: 400_000, to: 460_000 }],
      procs: [stealth(61, '/home/ana/.local/bin/helper', 'gpu')],
    });
    const run = (mark: boolean): Incident | undefined => {
      const d = new Detector(s.header);
      let prev = -1;
      for (const sample of s.samples) {
        if (mark && prev >= 0 && sample.t - prev > s.header.intervalMs * 2) d.markGap();
        d.push(sample);
        prev = sample.t;
      }
      d.finish();
      return byPid(d.incidents(), 61);
    };
    const bridged = run(false);
    const marked = run(true);
    expect(marked?.severity).toBe('high');
    // 60 s at ~95% the clock alone would have counted as GPU time while away; the marked gap is not.
    expect(bridged!.idleGpuSec - marked!.idleGpuSec).toBeGreaterThan(50);
    expect(bridged!.idleGpuSec - marked!.idleGpuSec).toBeLessThan(62);
  });
});

describe('a process that replaces its program (exec)', () => {
  const leave = 120_000;
  /** A launcher script that waits until the user has been gone 90 s, then execs the miner. */
  const launcher = (execs: SimProc['execs'], load: SimProc['load']): SimProc => ({
    pid: 5150,
    name: 'update-check.sh',
    exe: '/usr/bin/bash',
    cmdline: '/bin/bash /home/ana/.config/update-check.sh',
    execs,
    load,
  });
  const mining = (c: { awayMs: number | null; t: number }): { cpu: number } => ({
    cpu: c.awayMs !== null && c.awayMs >= 90_000 ? 390 + wobble(c.t, 7) * 4 : 0,
  });

  it('names the miner the script became, with the hidden-folder evidence, and what it was before', () => {
    const { header, samples } = buildStream({
      session: leaveAndReturn,
      procs: [
        shell,
        launcher(
          [{ at: leave + 90_000, name: 'kworkerds', exe: '/home/ana/.cache/.x/kworkerds', cmdline: './kworkerds -B' }],
          mining,
        ),
      ],
    });
    const inc = byPid(detectSamples(header, samples), 5150);
    expect(inc?.name).toBe('kworkerds');
    expect(inc?.exe).toBe('/home/ana/.cache/.x/kworkerds');
    expect(inc?.severity).toBe('high');
    expect(rules(inc)).toEqual(expect.arrayContaining(['temp-folder-executable', 'cpu-while-idle']));
    expect(inc?.was).toEqual([
      {
        name: 'update-check.sh',
        exe: '/usr/bin/bash',
        cmdline: '/bin/bash /home/ana/.config/update-check.sh',
        user: 'ana',
        until: leave + 90_000,
      },
    ]);
  });

  it('keeps the miner’s name when the miner later execs into something harmless', () => {
    const { header, samples } = buildStream({
      session: leaveAndReturn,
      procs: [
        shell,
        launcher(
          [
            { at: leave + 90_000, name: 'kworkerds', exe: '/tmp/.x/kworkerds' },
            { at: leave + 600_000 + 5_000, name: 'sleep', exe: '/usr/bin/sleep', cmdline: 'sleep 3600' },
          ],
          mining,
        ),
      ],
    });
    const inc = byPid(detectSamples(header, samples), 5150);
    expect(inc?.name).toBe('kworkerds');
    expect(inc?.exe).toBe('/tmp/.x/kworkerds');
    expect(inc?.was?.map((w) => w.name)).toEqual(['update-check.sh']);
  });

  it('drops the excuse a benign program earned once it becomes another program', () => {
    // Starts as Steam's shader pre-compiler (a known benign idle-time worker), then execs a miner
    // from a world-writable folder that keeps working while the user is away.
    const { header, samples } = buildStream({
      session: leaveAndReturn,
      procs: [
        shell,
        {
          pid: 6100,
          name: 'fossilize_repla',
          exe: '/home/ana/.local/share/Steam/ubuntu12_64/fossilize_replay',
          cmdline: '/home/ana/.local/share/Steam/ubuntu12_64/fossilize_replay --master-process',
          execs: [{ at: leave + 90_000, name: 'xmr-stak', exe: '/dev/shm/xmr-stak', cmdline: '/dev/shm/xmr-stak' }],
          load: mining,
        },
      ],
    });
    const inc = byPid(detectSamples(header, samples), 6100);
    expect(inc?.name).toBe('xmr-stak');
    expect(inc?.severity).toBe('high');
    expect(rules(inc)).not.toContain('benign-idle-work');
  });
});
