import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Availability } from '../main/engine/platform/collector.js';
import { IdleMonitor } from '../main/engine/idle/idle-monitor.js';
import { desktopIdleSources, platformCollectors } from '../main/engine/platform/select.js';
import type { IdleRead, InhibitorSource } from '../main/engine/platform/idle.js';
import { parseIdleTimeline, ScriptedIdleSource, timelineAt } from '../main/engine/idle/scripted.js';

/** A scripted source whose next reading (or failure) the test sets directly. */
function controllable(id: string, initial: IdleRead = { idleSec: 0 }) {
  const ctl = {
    reading: initial as IdleRead,
    fail: null as string | null,
    availability: { ok: true, detail: `${id} works` } as Availability,
  };
  const source = new ScriptedIdleSource(
    () => {
      if (ctl.fail) throw new Error(ctl.fail);
      return ctl.reading;
    },
    { id, label: `Source ${id}`, availability: () => ctl.availability },
  );
  return { ctl, source };
}

function inhibitorsFrom(names: () => string[] | Error): InhibitorSource & { reads: number } {
  return {
    id: 'idle.inhibitors',
    reads: 0,
    async available() {
      return { ok: true };
    },
    async read() {
      this.reads++;
      const n = names();
      if (n instanceof Error) throw n;
      return n;
    },
  };
}

describe('IdleMonitor state', () => {
  it('active below the threshold, idle at it, locked whenever the source says so', async () => {
    const { ctl, source } = controllable('idle.a');
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60, maxReuseMs: 0 });
    ctl.reading = { idleSec: 59.9 };
    expect(await m.read(0)).toEqual({ state: 'active', idleSec: 59.9, source: 'idle.a' });
    ctl.reading = { idleSec: 60 };
    expect(await m.read(1000)).toEqual({ state: 'idle', idleSec: 60, source: 'idle.a' });
    ctl.reading = { idleSec: 0.25, locked: true };
    expect(await m.read(2000)).toEqual({ state: 'locked', idleSec: 0.25, source: 'idle.a' });
    ctl.reading = { idleSec: null, locked: true };
    expect(await m.read(3000)).toEqual({ state: 'locked', idleSec: null, source: 'idle.a' });
  });

  it('a working source that cannot tell gives unknown, not active', async () => {
    const { ctl, source } = controllable('idle.a');
    ctl.reading = { idleSec: null };
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    expect(await m.read(0)).toEqual({ state: 'unknown', idleSec: null, source: 'idle.a' });
  });

  it('unknown with every reason when no source works', async () => {
    const a = controllable('idle.a');
    const b = controllable('idle.b');
    a.ctl.availability = { ok: false, reason: 'no X display (DISPLAY is not set)' };
    b.ctl.availability = { ok: false, reason: 'not a GNOME session' };
    const m = new IdleMonitor({ sources: [a.source, b.source], idleThresholdSec: 60 });
    expect(m.status()).toMatchObject({ health: 'unavailable', detail: 'not started' });
    expect(await m.read(0)).toEqual({ state: 'unknown', idleSec: null, source: null });
    const st = m.status();
    expect(st.id).toBe('idle');
    expect(st.health).toBe('unavailable');
    expect(st.detail).toContain('idle.a: no X display (DISPLAY is not set)');
    expect(st.detail).toContain('idle.b: not a GNOME session');
    expect(a.source.readCount + b.source.readCount).toBe(0);
    expect(await m.available()).toMatchObject({ ok: false });
  });

  it('a platform without sources says why (the reason travels on the default list)', async () => {
    const sources = desktopIdleSources('win32', {});
    expect(sources).toHaveLength(0);
    expect(sources.reason).toMatch(/win32/);
    expect(platformCollectors('darwin', 1000, {}).inhibitors).toBeNull();
    const m = new IdleMonitor({ sources, idleThresholdSec: 60 });
    expect(await m.read(0)).toEqual({ state: 'unknown', idleSec: null, source: null });
    expect(m.status().detail).toBe(sources.reason);
  });

  it('the Linux order: GNOME Mutter, freedesktop ScreenSaver, X11, logind', () => {
    const sources = desktopIdleSources('linux', {});
    expect(sources.map((s) => s.id)).toEqual([
      'idle.gnome-mutter',
      'idle.freedesktop-screensaver',
      'idle.x11',
      'idle.logind',
    ]);
    expect(sources.reason).toBeNull();
    expect(platformCollectors('linux', 1000, {}).inhibitors?.id).toBe('idle.inhibitors');
  });

  it('rejects a bad threshold and duplicate source ids', () => {
    expect(() => new IdleMonitor({ sources: [], idleThresholdSec: 0 })).toThrow(RangeError);
    const a = controllable('idle.a').source;
    expect(() => new IdleMonitor({ sources: [a, a], idleThresholdSec: 60 })).toThrow(/share the id/);
  });
});

describe('IdleMonitor adaptive polling', () => {
  it('reuses an active reading, aged, until the threshold could be reached', async () => {
    const { ctl, source } = controllable('idle.a');
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60, maxReuseMs: 600_000 });
    ctl.reading = { idleSec: 10 };
    expect(await m.read(0)).toMatchObject({ state: 'active', idleSec: 10 });
    expect(source.readCount).toBe(1);
    // The user cannot become idle before 50 s pass, so 49 ticks cost nothing.
    for (let t = 1000; t < 50_000; t += 1000) {
      const r = await m.read(t);
      expect(r).toEqual({ state: 'active', idleSec: 10 + t / 1000, source: 'idle.a' });
    }
    expect(source.readCount).toBe(1);
    expect(m.stats).toEqual({ sourceReads: 1, reused: 49 });
    // At 50 s the aged value reaches the threshold: the source is asked. The user typed meanwhile.
    ctl.reading = { idleSec: 3 };
    expect(await m.read(50_000)).toEqual({ state: 'active', idleSec: 3, source: 'idle.a' });
    expect(source.readCount).toBe(2);
  });

  it('asks the source at least every maxReuseMs while active (a manual lock is seen within it)', async () => {
    const { ctl, source } = controllable('idle.a');
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 600, maxReuseMs: 30_000 });
    for (let t = 0; t < 90_000; t += 1000) await m.read(t);
    expect(source.readCount).toBe(3);
    ctl.reading = { idleSec: 0, locked: true };
    expect((await m.read(90_000)).state).toBe('locked');
  });

  it('asks on every call while idle or locked, so a return is seen on the next tick', async () => {
    const { ctl, source } = controllable('idle.a');
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    ctl.reading = { idleSec: 120 };
    for (let t = 0; t < 5000; t += 1000) expect((await m.read(t)).state).toBe('idle');
    expect(source.readCount).toBe(5);
    ctl.reading = { idleSec: 0.4 };
    expect(await m.read(5000)).toEqual({ state: 'active', idleSec: 0.4, source: 'idle.a' });
    expect(source.readCount).toBe(6);
  });

  it('a locked screen is asked about on every call too', async () => {
    const { ctl, source } = controllable('idle.a', { idleSec: 2, locked: true });
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    for (let t = 0; t < 3000; t += 1000) expect((await m.read(t)).state).toBe('locked');
    ctl.reading = { idleSec: 0.1, locked: false };
    expect((await m.read(3000)).state).toBe('active');
    expect(source.readCount).toBe(4);
  });

  it('a clock that goes backwards is never extrapolated over', async () => {
    const { source } = controllable('idle.a', { idleSec: 1 });
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    await m.read(10_000);
    await m.read(5_000);
    expect(source.readCount).toBe(2);
  });

  it('overlapping calls share one source read', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const source = new ScriptedIdleSource(async () => {
      await gate;
      return { idleSec: 100 };
    });
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    const both = Promise.all([m.read(0), m.read(1)]);
    release();
    const [a, b] = await both;
    expect(a).toEqual(b);
    expect(source.readCount).toBe(1);
  });
});

describe('IdleMonitor source choice and failover', () => {
  it('uses the first available source and lists why the ones before it were skipped', async () => {
    const a = controllable('idle.a');
    const b = controllable('idle.b', { idleSec: 5 });
    const c = controllable('idle.c');
    a.ctl.availability = { ok: false, reason: 'Wayland session: X11 idle time only covers X11 apps' };
    const m = new IdleMonitor({ sources: [a.source, b.source, c.source], idleThresholdSec: 60 });
    await m.start();
    expect(await m.read(0)).toMatchObject({ source: 'idle.b', idleSec: 5 });
    expect(m.status()).toEqual({
      id: 'idle.b',
      label: 'Source idle.b',
      health: 'ok',
      detail: 'idle.b works; not used: idle.a: Wayland session: X11 idle time only covers X11 apps',
    });
  });

  it('fails over after repeated failures and comes back when the preferred source recovers', async () => {
    const a = controllable('idle.a', { idleSec: 100 });
    const b = controllable('idle.b', { idleSec: 200 });
    const m = new IdleMonitor({
      sources: [a.source, b.source],
      idleThresholdSec: 60,
      maxFailures: 3,
      reprobeIntervalMs: 60_000,
    });
    expect(await m.read(0)).toMatchObject({ source: 'idle.a', idleSec: 100 });

    a.ctl.fail = 'gdbus did not answer within 2000 ms';
    expect(await m.read(1000)).toEqual({ state: 'unknown', idleSec: null, source: null });
    expect(m.status()).toMatchObject({ id: 'idle.a', health: 'degraded' });
    expect(m.status().detail).toMatch(/^1 failed read\(s\) in a row: gdbus did not answer/);
    await m.read(2000);
    // Third failure: idle.a is set aside and idle.b answers within the same tick.
    expect(await m.read(3000)).toMatchObject({ state: 'idle', idleSec: 200, source: 'idle.b' });
    expect(m.status().detail).toMatch(/not used: idle\.a: failed 3 reads in a row: gdbus did not answer/);

    a.ctl.fail = null;
    // Benched for the re-probe interval, then probed again and preferred again.
    expect((await m.read(30_000)).source).toBe('idle.b');
    expect((await m.read(63_000)).source).toBe('idle.a');
  });

  it('re-probes periodically when nothing works, and picks up a source that appears', async () => {
    const a = controllable('idle.a', { idleSec: 7 });
    a.ctl.availability = { ok: false, reason: 'org.gnome.Mutter.IdleMonitor is not on the session bus' };
    const m = new IdleMonitor({ sources: [a.source], idleThresholdSec: 60, reprobeIntervalMs: 10_000 });
    expect((await m.read(0)).state).toBe('unknown');
    a.ctl.availability = { ok: true };
    expect((await m.read(5000)).state).toBe('unknown');
    expect(await m.read(10_000)).toEqual({ state: 'active', idleSec: 7, source: 'idle.a' });
  });

  it('backs off re-probes while nothing works (60 s doubling to 10 min) and starts over once a source works', async () => {
    const probes: number[] = [];
    let now = 0;
    let works = false;
    const source = new ScriptedIdleSource(
      () => {
        if (!works) throw new Error('the idle monitor went away');
        return { idleSec: 1 };
      },
      {
        id: 'idle.a',
        availability: () => {
          probes.push(now / 1000);
          return works ? { ok: true } : { ok: false, reason: 'headless: no X display, no session bus' };
        },
      },
    );
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60, maxReuseMs: 0 });
    for (now = 0; now <= 3_600_000; now += 1000) expect((await m.read(now)).state).toBe('unknown');
    expect(probes).toEqual([0, 60, 180, 420, 900, 1500, 2100, 2700, 3300]);

    // A source that appears is found at the next (10 min) probe.
    works = true;
    probes.length = 0;
    for (; now <= 4_000_000; now += 1000) await m.read(now);
    expect(probes).toEqual([3900]);
    expect((await m.read(now)).source).toBe('idle.a');
    // It fails over at the third failed read (4003 s); the wait between probes starts at 60 s again.
    works = false;
    probes.length = 0;
    for (now = 4_001_000; now <= 4_400_000; now += 1000) await m.read(now);
    expect(probes).toEqual([4063, 4183]);
  });

  it('an inhibitor registry that is not there is asked again less and less often', async () => {
    let probes = 0;
    const inhibitors: InhibitorSource = {
      id: 'idle.inhibitors',
      async available() {
        probes++;
        return { ok: false, reason: 'GNOME session manager is not on the session bus' };
      },
      async read() {
        throw new Error('not available');
      },
    };
    const m = new IdleMonitor({
      sources: [new ScriptedIdleSource(() => ({ idleSec: 120 }))],
      inhibitors,
      idleThresholdSec: 60,
      maxReprobeIntervalMs: 240_000,
    });
    for (let t = 0; t <= 3_600_000; t += 1000) await m.read(t);
    // 0, 60, 180, 420 s, then every 240 s: 15 probes in the hour after that.
    expect(probes).toBe(4 + Math.floor((3600 - 420) / 240));
  });

  it('switches to a preferred source that registers after start', async () => {
    const a = controllable('idle.a', { idleSec: 1 });
    const b = controllable('idle.b', { idleSec: 2 });
    a.ctl.availability = { ok: false, reason: 'not yet' };
    const m = new IdleMonitor({ sources: [a.source, b.source], idleThresholdSec: 60, reprobeIntervalMs: 60_000 });
    expect((await m.read(0)).source).toBe('idle.b');
    a.ctl.availability = { ok: true };
    expect((await m.read(59_000)).source).toBe('idle.b');
    expect((await m.read(60_000)).source).toBe('idle.a');
  });

  it('when every source has failed, status is degraded (it worked before) with the reasons', async () => {
    const a = controllable('idle.a', { idleSec: 1 });
    const m = new IdleMonitor({ sources: [a.source], idleThresholdSec: 60, maxFailures: 1, maxReuseMs: 0 });
    await m.read(0);
    a.ctl.fail = 'xprintidle exited with code 1';
    expect((await m.read(1000)).state).toBe('unknown');
    expect(m.status()).toMatchObject({ id: 'idle', health: 'degraded' });
    expect(m.status().detail).toMatch(/idle\.a: failed 1 reads in a row: xprintidle exited with code 1/);
  });

  it('a source returning nonsense counts as a failure', async () => {
    const source = new ScriptedIdleSource(() => ({ idleSec: Number.NaN }));
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    expect((await m.read(0)).state).toBe('unknown');
    expect(m.status().detail).toMatch(/idle time NaN/);
  });

  it('probeAll reports every source, the inhibitor source included', async () => {
    const a = controllable('idle.a');
    const b = controllable('idle.b');
    b.ctl.availability = { ok: false, reason: 'nope' };
    const m = new IdleMonitor({
      sources: [a.source, b.source],
      inhibitors: inhibitorsFrom(() => []),
      idleThresholdSec: 60,
    });
    expect(await m.probeAll()).toEqual([
      { kind: 'idle', id: 'idle.a', label: 'Source idle.a', availability: { ok: true, detail: 'idle.a works' } },
      { kind: 'idle', id: 'idle.b', label: 'Source idle.b', availability: { ok: false, reason: 'nope' } },
      { kind: 'inhibitors', id: 'idle.inhibitors', label: 'Idle inhibitors', availability: { ok: true } },
    ]);
  });

  it('stop() closes the sources and a later read starts over', async () => {
    let closed = 0;
    const source = Object.assign(new ScriptedIdleSource(() => ({ idleSec: 1 })), {
      close: async () => {
        closed++;
      },
    });
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    await m.sample(0);
    await m.stop();
    expect(closed).toBe(1);
    expect(m.status().detail).toBe('not started');
    expect((await m.read(1000)).source).toBe('idle.scripted');
  });
});

describe('IdleMonitor inhibitors', () => {
  it('adds the list to readings, refreshed every inhibitorIntervalMs', async () => {
    let names = ['org.gnome.Totem'];
    const inh = inhibitorsFrom(() => names);
    const m = new IdleMonitor({
      sources: [new ScriptedIdleSource(() => ({ idleSec: 120 }))],
      inhibitors: inh,
      idleThresholdSec: 60,
      inhibitorIntervalMs: 10_000,
    });
    expect(await m.read(0)).toEqual({
      state: 'idle',
      idleSec: 120,
      inhibitors: ['org.gnome.Totem'],
      source: 'idle.scripted',
    });
    names = [];
    expect((await m.read(5000)).inhibitors).toEqual(['org.gnome.Totem']);
    expect((await m.read(10_000)).inhibitors).toEqual([]);
    expect(inh.reads).toBe(2);
  });

  it('leaves them out when they cannot be read', async () => {
    const m = new IdleMonitor({
      sources: [new ScriptedIdleSource(() => ({ idleSec: 1 }))],
      inhibitors: inhibitorsFrom(() => new Error('gdbus did not answer')),
      idleThresholdSec: 60,
    });
    const r = await m.read(0);
    expect(r).toEqual({ state: 'active', idleSec: 1, source: 'idle.scripted' });
    expect('inhibitors' in r).toBe(false);
  });
});

describe('ScriptedIdleSource timelines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idlewatch-idle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ages each point with the clock until the next one', () => {
    const points = [
      { t: 0, idleSec: 0 },
      { t: 90_000, idleSec: 0, locked: true },
      { t: 100_000, idleSec: null },
    ];
    expect(timelineAt(points, 30_000)).toEqual({ idleSec: 30 });
    expect(timelineAt(points, 95_000)).toEqual({ idleSec: 5, locked: true });
    expect(timelineAt(points, 150_000)).toEqual({ idleSec: null });
    expect(() => timelineAt([{ t: 1000, idleSec: 0 }], 0)).toThrow(/starts at 1000 ms/);
  });

  it('drives a monitor from a clock the caller controls', async () => {
    let now = 0;
    const source = ScriptedIdleSource.fromTimeline(
      [
        { t: 0, idleSec: 0 },
        { t: 200_000, idleSec: 0 },
      ],
      { clock: () => now },
    );
    const m = new IdleMonitor({ sources: [source], idleThresholdSec: 60 });
    const states: string[] = [];
    for (now = 0; now <= 210_000; now += 10_000) states.push((await m.read(now)).state);
    expect(states.slice(0, 6)).toEqual(['active', 'active', 'active', 'active', 'active', 'active']);
    expect(states.slice(6, 20).every((s) => s === 'idle')).toBe(true);
    expect(states[20]).toBe('active');
  });

  it('loads a recorded trace (header skipped, state locked read as locked), gzip too', async () => {
    const lines = [
      '{"format":"idlewatch-trace","version":1,"startedAt":"2026-11-26T21:00:00.000Z","intervalMs":1000,"idleThresholdSec":60,"host":{"platform":"linux","cpuCores":8,"gpus":[]}}',
      '{"t":0,"user":{"state":"active","idleSec":2},"system":{"cpu":1,"gpus":[]},"procs":[]}',
      '{"t":61000,"user":{"state":"idle","idleSec":63,"inhibitors":[]},"system":{"cpu":1,"gpus":[]},"procs":[]}',
      '{"t":70000,"user":{"state":"locked","idleSec":72},"system":{"cpu":1,"gpus":[]},"procs":[]}',
      '{"t":80000,"user":{"state":"unknown","idleSec":null},"system":{"cpu":1,"gpus":[]},"procs":[]}',
    ];
    const plain = join(dir, 'trace.jsonl');
    writeFileSync(plain, `${lines.join('\n')}\n`);
    const gz = join(dir, 'trace.jsonl.gz');
    writeFileSync(gz, gzipSync(`${lines.join('\n')}\n`));
    for (const file of [plain, gz]) {
      let now = 0;
      const src = await ScriptedIdleSource.fromFile(file, { clock: () => now });
      expect(src.label).toBe(`Idle timeline from ${file}`);
      now = 1000;
      expect(await src.read()).toEqual({ idleSec: 3, locked: false });
      now = 71_000;
      expect(await src.read()).toEqual({ idleSec: 73, locked: true });
      now = 90_000;
      expect(await src.read()).toEqual({ idleSec: null, locked: false });
    }
  });

  it('names the line of a bad timeline', () => {
    expect(() => parseIdleTimeline('{"t":0,"idleSec":0}\nnot json\n', 'x.jsonl')).toThrow('x.jsonl line 2: not JSON');
    expect(() => parseIdleTimeline('{"t":0,"idleSec":-1}\n')).toThrow(/line 1: idleSec/);
    expect(() => parseIdleTimeline('{"t":5,"idleSec":0}\n{"t":1,"idleSec":0}\n')).toThrow(/back in time/);
    expect(() => parseIdleTimeline('\n')).toThrow(/no points/);
  });
});
