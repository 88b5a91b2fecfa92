import { describe, expect, it } from 'vitest';
import type { RuleId } from '../shared/detection.js';
import { Detector, type DetectorEvent } from '../main/engine/detect/detector.js';
import { type NotifyCandidate, NotifyPolicy } from '../main/engine/detect/notify-policy.js';
import { buildStream, type Segment, type SimProc, wobble } from '../main/engine/detect/sample-builder.js';
import { assess, type Evidence, scoreOf, THRESHOLDS, WEIGHTS } from '../main/engine/detect/scoring.js';

const ev = (entries: [RuleId, number][]): Map<RuleId, Evidence> =>
  new Map(entries.map(([r, p]) => [r, { points: p, detail: r }]));

describe('scoring', () => {
  it('adds evidence up to a severity and a 0..1 score', () => {
    expect(assess(ev([]), 'normal', false).severity).toBeNull();
    expect(assess(ev([['pool-connection', WEIGHTS.pool]]), 'normal', false).severity).toBe('low');
    const stealth = assess(
      ev([
        ['gpu-while-idle', WEIGHTS.gpuIdle],
        ['onset-after-idle', WEIGHTS.onset],
      ]),
      'normal',
      false,
    );
    expect(stealth.severity).toBe('medium');
    const full = assess(
      ev([
        ['gpu-while-idle', WEIGHTS.gpuIdle],
        ['onset-after-idle', WEIGHTS.onset],
        ['steady-load', WEIGHTS.steady],
        ['stops-on-activity', WEIGHTS.stops],
      ]),
      'normal',
      false,
    );
    expect(full.severity).toBe('high');
    expect(full.score).toBeGreaterThan(stealth.score);
    expect(full.reasons.map((r) => r.rule)).toEqual([
      'gpu-while-idle',
      'onset-after-idle',
      'steady-load',
      'stops-on-activity',
    ]);
    expect(scoreOf(0)).toBe(0);
    expect(scoreOf(100)).toBeLessThanOrEqual(0.99);
  });

  it('a game or render left running stays low', () => {
    const game = assess(
      ev([
        ['gpu-while-idle', WEIGHTS.gpuIdle],
        ['steady-load', WEIGHTS.steady],
      ]),
      'normal',
      false,
    );
    expect(game.severity).toBe('low');
  });

  it('counts GPU and CPU load of one job once', () => {
    const both = assess(
      ev([
        ['gpu-while-idle', WEIGHTS.gpuIdle],
        ['cpu-while-idle', WEIGHTS.cpuIdle + WEIGHTS.cpuIdleHeavy],
        ['steady-load', WEIGHTS.steady],
      ]),
      'normal',
      false,
    );
    expect(both.points).toBeCloseTo(WEIGHTS.gpuIdle + WEIGHTS.steady);
    expect(both.reasons).toHaveLength(3);
  });

  it('caps allowlisted and benign work at low, score below the medium mark', () => {
    const e = ev([
      ['miner-signature', WEIGHTS.signatureBoth],
      ['pool-connection', WEIGHTS.pool],
    ]);
    expect(assess(e, 'normal', false).severity).toBe('high');
    const capped = assess(e, 'normal', true);
    expect(capped.severity).toBe('low');
    expect(capped.score).toBeLessThan(scoreOf(THRESHOLDS.normal.medium));
  });

  it('sensitivity moves the thresholds', () => {
    const e = ev([
      ['cpu-while-idle', WEIGHTS.cpuIdle],
      ['onset-after-idle', WEIGHTS.onset],
    ]);
    expect(assess(e, 'low', false).severity).toBe('low');
    expect(assess(e, 'normal', false).severity).toBe('low');
    expect(assess(e, 'high', false).severity).toBe('medium');
  });
});

const cand = (key: string, episode = 1, severity: 'medium' | 'high' = 'medium'): NotifyCandidate => ({
  key,
  pid: Number(key),
  name: `proc${key}`,
  severity,
  headline: 'GPU 95% for 22 s while you were away',
  episode,
});

describe('notification policy', () => {
  it('notifies once per process per away episode', () => {
    const p = new NotifyPolicy({ groupWindowSec: 0, minGapSec: 0, cooldownSec: 0 });
    expect(p.offer(cand('1', 1), 0)).toBe(true);
    expect(p.tick(0, false)).toHaveLength(1);
    expect(p.offer(cand('1', 1), 5000)).toBe(false);
    expect(p.tick(5000, false)).toEqual([]);
    expect(p.offer(cand('1', 2), 600_000)).toBe(true);
    expect(p.tick(600_000, false)).toHaveLength(1);
  });

  it('keeps a per-process cooldown across episodes', () => {
    const p = new NotifyPolicy({ groupWindowSec: 0, minGapSec: 0, cooldownSec: 1800 });
    p.offer(cand('1', 1), 0);
    p.tick(0, false);
    expect(p.offer(cand('1', 2), 600_000)).toBe(false);
    expect(p.offer(cand('1', 3), 1_900_000)).toBe(true);
  });

  it('groups a storm of ten processes into one message', () => {
    const p = new NotifyPolicy({ groupWindowSec: 3, minGapSec: 60 });
    for (let i = 0; i < 10; i++) p.offer(cand(String(i), 1, i === 7 ? 'high' : 'medium'), 1000 + i * 100);
    expect(p.tick(2000, false)).toEqual([]);
    const [n, ...rest] = p.tick(4000, false);
    expect(rest).toEqual([]);
    expect(n?.kind).toBe('group');
    expect(n?.items).toHaveLength(10);
    expect(n?.items[0]?.key).toBe('7');
    expect(n?.title).toBe('10 processes may be mining on your computer');
    expect(n?.body).toMatch(/and 6 more \(1 high\)/);
    // Later trips wait for the minimum gap, then go out together.
    p.offer(cand('20', 1), 10_000);
    p.offer(cand('21', 1), 30_000);
    expect(p.tick(30_000, false)).toEqual([]);
    expect(p.tick(64_000, false)[0]?.items.map((i) => i.key)).toEqual(['20', '21']);
  });

  it('holds messages while a fullscreen game runs, then sends them', () => {
    const p = new NotifyPolicy({ groupWindowSec: 0, minGapSec: 0, quietWhileFullscreen: true });
    p.offer(cand('1'), 0);
    expect(p.tick(0, true)).toEqual([]);
    expect(p.tick(60_000, true)).toEqual([]);
    expect(p.tick(61_000, false)).toHaveLength(1);
    const loud = new NotifyPolicy({ groupWindowSec: 0, minGapSec: 0, quietWhileFullscreen: false });
    loud.offer(cand('1'), 0);
    expect(loud.tick(0, true)).toHaveLength(1);
  });

  it('sums up what was held while playing, and lets high severity through when the user chose so', () => {
    const p = new NotifyPolicy({ groupWindowSec: 0, minGapSec: 0, quietWhileFullscreen: true });
    p.offer(cand('1', 1, 'medium'), 0);
    p.offer(cand('2', 1, 'high'), 1000);
    expect(p.tick(1000, true)).toEqual([]);
    const [held] = p.tick(90_000, false);
    expect(held?.title).toBe('While you played: 2 processes may be mining on your computer');
    expect(held?.items.map((i) => i.key)).toEqual(['2', '1']);
    // Not played: no "While you played".
    p.offer(cand('3', 2), 100_000);
    expect(p.tick(100_000, false)[0]?.title).toBe('proc3 may be mining on your computer');

    const urgent = new NotifyPolicy({
      groupWindowSec: 0,
      minGapSec: 0,
      quietWhileFullscreen: true,
      notifyHighWhileFullscreen: true,
    });
    urgent.offer(cand('1', 1, 'medium'), 0);
    urgent.offer(cand('2', 1, 'high'), 0);
    const [now] = urgent.tick(0, true);
    expect(now?.items.map((i) => i.key)).toEqual(['2']);
    expect(now?.title).not.toMatch(/While you played/);
    expect(urgent.tick(30_000, true)).toEqual([]);
    const [later] = urgent.tick(60_000, false);
    expect(later?.items.map((i) => i.key)).toEqual(['1']);
    expect(later?.title).toMatch(/^While you played: /);
  });

  it('says the higher severity when a queued process escalates, and never notifies low', () => {
    const p = new NotifyPolicy({ groupWindowSec: 3 });
    p.offer(cand('1', 1, 'medium'), 0);
    p.offer(cand('1', 1, 'high'), 1000);
    expect(p.tick(3000, false)[0]).toMatchObject({ kind: 'single', items: [{ severity: 'high' }] });
    expect(p.offer({ ...cand('2'), severity: 'low' }, 5000)).toBe(false);
    expect(new NotifyPolicy({ enabled: false }).offer(cand('3'), 0)).toBe(false);
  });
});

describe('notifications from the detector', () => {
  const session: Segment[] = [
    { kind: 'active', sec: 60 },
    { kind: 'away', sec: 400 },
    { kind: 'active', sec: 60 },
  ];
  const miner = (pid: number): SimProc => ({
    pid,
    name: `w${pid}`,
    exe: `/tmp/.cache-${pid}/w`,
    load: (c) => ({ gpu: c.awayMs !== null && c.awayMs > 70_000 ? 95 + wobble(c.t, pid) : 0 }),
  });

  it('ten processes tripping at once make one grouped message', () => {
    const procs = Array.from({ length: 10 }, (_, i) => miner(500 + i));
    const s = buildStream({ session, procs });
    const d = new Detector(s.header);
    const events: DetectorEvent[] = [];
    for (const smp of s.samples) events.push(...d.push(smp));
    events.push(...d.finish());
    const notes = events.flatMap((e) => (e.type === 'notify' ? [e.notification] : []));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.kind).toBe('group');
    expect(notes[0]?.items).toHaveLength(10);
  });

  it('records allowlisted processes but never alerts on them (hostile evidence aside: allowlist-hostile.test.ts)', () => {
    const s = buildStream({
      session,
      procs: [
        {
          pid: 600,
          name: 'farm-job',
          exe: '/opt/render/farm-job',
          cmdline: '/opt/render/farm-job --scene a',
          load: (c) => ({ cpu: c.away ? 400 : 0 }),
        },
      ],
    });
    const d = new Detector(s.header, { allowlisted: (p) => p.exe === '/opt/render/farm-job' });
    const events = [...s.samples.flatMap((x) => d.push(x)), ...d.finish()];
    const inc = d.incidents().find((i) => i.pid === 600);
    expect(inc).toMatchObject({ allowlisted: true, severity: 'low' });
    expect(inc?.reasons.some((r) => r.rule === 'cpu-while-idle')).toBe(true);
    expect(events.filter((e) => e.type === 'notify')).toEqual([]);
  });

  it('asks the fullscreen hook, and replays without one are never fullscreen', () => {
    const s = buildStream({ session, procs: [miner(700)] });
    let asked = 0;
    const d = new Detector(s.header, {
      fullscreen: () => {
        asked++;
        return true;
      },
    });
    const events = s.samples.flatMap((x) => d.push(x));
    expect(asked).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'notify')).toEqual([]);
    expect(d.finish().filter((e) => e.type === 'notify')).toHaveLength(1);
  });
});
