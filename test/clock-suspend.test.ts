/**
 * Suspends and clock jumps.
 *
 * 1. A trace with a 2-hour hole between two samples (the laptop slept) and a miner busy before and
 *    after it: no run, duration or total may bridge the hole, nothing may go negative, and the
 *    miner is still caught on each side on its own evidence.
 * 2. Live (Linux): the real /proc collector with real processes while the wall clock steps back
 *    (by an hour, and by 2 s), including a process started after the step; every rate stays
 *    finite and >= 0, and the encoder/detector path downstream sees no time going backwards.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../shared/detection.js';
import type { EngineSample } from '../shared/engine-types.js';
import type { TraceSample } from '../shared/trace.js';
import { Detector, MAX_STEP_MS } from '../main/engine/detect/detector.js';
import { buildStream, type Segment, type SimProc, wobble } from '../main/engine/detect/sample-builder.js';
import { LinuxProcsCollector } from '../main/engine/platform/linux/linux-procs.js';
import { combine } from '../main/engine/sampler.js';
import { TraceEncoder } from '../main/engine/trace/trace-encoder.js';
import { killAndWait, sleep, spawnBurner, spawnSleeper } from './helpers/processes.js';

const HOUR = 3_600_000;
/** A negative number in prose ("-5 s", "(-3%)"), not a hyphen inside a name ("memfd:sealed-91173"). */
const NEGATIVE = /(^|[\s(])-\d/;
const MIN = 60_000;

/** Every duration the reasons state, in ms ("22 s", "5 min 30 s", "2 h 10 min"). */
function durationsMs(detail: string): number[] {
  const out: number[] = [];
  const re = /(\d+) h(?: (\d+) min)?|(\d+) min(?: (\d+) s)?|(\d+) s\b/g;
  for (let m = re.exec(detail); m; m = re.exec(detail)) {
    if (m[1] !== undefined) out.push(Number(m[1]) * HOUR + Number(m[2] ?? 0) * MIN);
    else if (m[3] !== undefined) out.push(Number(m[3]) * MIN + Number(m[4] ?? 0) * 1000);
    else out.push(Number(m[5]) * 1000);
  }
  return out;
}

function detect(samples: TraceSample[], header: ReturnType<typeof buildStream>['header']): Incident[] {
  const d = new Detector(header);
  for (const s of samples) d.push(s);
  d.finish();
  return d.incidents();
}

describe('a 2-hour suspend inside a trace', () => {
  // The user leaves at 2 min and is away for the rest: 30 min, then the machine sleeps 2 h, then
  // 40 min more; they come back at the end. The miner runs from 5 min on, before and after.
  const GAP_FROM = 35 * MIN;
  const GAP_TO = GAP_FROM + 2 * HOUR;
  const session: Segment[] = [
    { kind: 'active', sec: 120 },
    { kind: 'locked', sec: (GAP_TO + 40 * MIN - 120_000) / 1000 },
    { kind: 'active', sec: 120 },
  ];
  const miner = (kind: 'gpu' | 'cpu'): SimProc => ({
    pid: kind === 'gpu' ? 4242 : 4343,
    name: kind === 'gpu' ? 'nvhelper' : 'kthreadd2',
    exe: kind === 'gpu' ? '/home/ana/.cache/.nv/nvhelper' : '/tmp/.k/kthreadd2',
    startT: 5 * MIN,
    from: 5 * MIN,
    load: (c) =>
      c.away
        ? kind === 'gpu'
          ? { gpu: 95 + wobble(c.t), cpu: 3 }
          : { cpu: 390 + 5 * wobble(c.t) }
        : { cpu: kind === 'gpu' ? 0.5 : 0 },
  });

  for (const kind of ['gpu', 'cpu'] as const) {
    it(`${kind.toUpperCase()} miner: caught, and no duration, total or rate bridges the gap`, () => {
      const s = buildStream({ session, procs: [miner(kind)], gaps: [{ from: GAP_FROM, to: GAP_TO }] });
      // The hole is really there, and longer than any step the detector bridges.
      const ts = s.samples.map((x) => x.t);
      const holes = ts
        .slice(1)
        .map((t, i) => t - ts[i]!)
        .filter((d) => d > 1000);
      expect(holes).toEqual([2 * HOUR + 1000]);
      expect(2 * HOUR).toBeGreaterThan(MAX_STEP_MS);

      const incidents = detect(s.samples, s.header);
      const inc = incidents.find((i) => i.pid === miner(kind).pid);
      expect(inc?.severity).toBe('high');
      // Busy while away: 30 min before the gap, 40 min after. With the gap it would be 2 h 70 min.
      const busyMsMax = 40 * MIN + 5_000;
      // idle GPU/CPU time is in device-seconds (95% for 1 s = 0.95 s; 390% for 1 s = 3.9 s).
      const level = kind === 'gpu' ? 0.95 : 3.9;
      const busySec = (kind === 'gpu' ? inc!.idleGpuSec : inc!.idleCpuSec) / level;
      expect(busySec).toBeGreaterThan(60 * 60 * 0.9); // both sides counted …
      expect(busySec).toBeLessThan((30 + 40) * 60 + 30); // … the gap not (it would add 7,200 s)
      for (const r of inc!.reasons) {
        expect(r.detail, `${r.rule}: ${r.detail}`).not.toMatch(NEGATIVE); // no negative numbers
        expect(r.detail).not.toMatch(/NaN|Infinity/);
        // Load durations ("GPU 95% for 40 min") never include the 2 h of sleep.
        if (r.rule === 'gpu-while-idle' || r.rule === 'cpu-while-idle' || r.rule === 'steady-load') {
          const loadPart = r.detail.split(/ while | after /)[0] ?? '';
          for (const ms of durationsMs(loadPart)) expect(ms, `${r.rule}: ${r.detail}`).toBeLessThanOrEqual(busyMsMax);
        }
      }
      expect(inc!.score).toBeGreaterThanOrEqual(0);
      expect(inc!.score).toBeLessThanOrEqual(1);
      expect(inc!.firstAt).toBeLessThanOrEqual(inc!.lastAt);
      // Flagged before the suspend (it had 30 min of evidence then).
      expect(inc!.firstAt).toBeLessThan(GAP_FROM);
      for (const i of incidents) {
        expect(i.idleGpuSec).toBeGreaterThanOrEqual(0);
        expect(i.idleCpuSec).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it('a miner that starts only after the resume: its run starts after the gap, not before it', () => {
    const late: SimProc = { ...miner('gpu'), pid: 77, startT: GAP_TO + 60_000, from: GAP_TO + 60_000 };
    const s = buildStream({ session, procs: [late], gaps: [{ from: GAP_FROM, to: GAP_TO }] });
    const inc = detect(s.samples, s.header).find((i) => i.pid === 77);
    expect(inc?.severity).toBe('high');
    expect(inc!.firstAt).toBeGreaterThan(GAP_TO);
    expect(inc!.idleGpuSec).toBeLessThanOrEqual(39 * 60 + 5);
    const gpuReason = inc!.reasons.find((r) => r.rule === 'gpu-while-idle')!.detail;
    for (const ms of durationsMs(gpuReason.split(/ while | after /)[0] ?? '')) expect(ms).toBeLessThanOrEqual(40 * MIN);
  });

  it('the duration parser used above reads the detector wording', () => {
    expect(durationsMs('GPU 95% for 22 s while the screen was locked 2 h 5 min')).toEqual([22_000, 2 * HOUR + 5 * MIN]);
    expect(durationsMs('CPU 390% for 5 min 30 s')).toEqual([5 * MIN + 30_000]);
  });
});

describe.skipIf(process.platform !== 'linux')('live /proc collector: wall clock stepping back (real processes)', () => {
  it('no negative or non-finite CPU for a busy, an idle and a just-started process, and t never goes back downstream', async () => {
    const burner = spawnBurner();
    const sleeper = spawnSleeper();
    let late: ReturnType<typeof spawnBurner> | null = null;
    const c = new LinuxProcsCollector();
    let offset = 0;
    const now = () => Date.now() + offset;
    const start = now();
    const encoder = new TraceEncoder({
      startedAtMs: start,
      intervalMs: 250,
      idleThresholdSec: 60,
      platform: 'linux',
      cpuCores: 2,
    });
    const detector = new Detector(encoder.header(null));
    const samples: EngineSample[] = [];
    let lastT = -1;
    const check = async (full: boolean, what: string) => {
      const r = await c.sample(now(), { full, watch: [] });
      for (const p of r.procs) {
        expect(Number.isFinite(p.cpu) && p.cpu >= 0, `${what}: cpu ${p.cpu} of ${p.name} (${p.pid})`).toBe(true);
      }
      const s = combine(now(), r, { cpu: 50, cores: 2 }, { state: 'idle', idleSec: 600, source: null }, []);
      samples.push(s);
      const line = encoder.sample(s);
      expect(line.t, `${what}: trace t`).toBeGreaterThanOrEqual(lastT);
      lastT = line.t;
      for (const p of line.procs) expect(p.cpu === undefined || p.cpu >= 0).toBe(true);
      detector.push(line);
      return r;
    };
    try {
      await c.start();
      await sleep(300);
      await check(true, 'steady');
      await sleep(300);
      const steady = await check(false, 'steady hot');
      expect(steady.procs.find((p) => p.pid === burner.pid)?.cpu ?? 0).toBeGreaterThan(20);

      for (const [step, label] of [
        [-HOUR, 'an hour back'],
        [-2000, '2 s back'],
      ] as const) {
        offset += step;
        await sleep(250);
        await check(false, `${label}, hot pass right after`);
        // A process that starts after the step: its start time (from boot time) is ahead of the
        // stepped clock, so its age is negative; it must read 0, not a negative or huge rate.
        if (late) await killAndWait(late);
        late = spawnBurner();
        await sleep(300);
        const r = await check(false, `${label}, new process`);
        const newcomer = r.procs.find((p) => p.pid === late!.pid);
        expect(newcomer, 'the new process is listed').toBeDefined();
        if (step === -HOUR) expect(newcomer!.cpu).toBe(0);
        await sleep(300);
        await check(true, `${label}, full pass`);
        await sleep(300);
        const again = await check(false, `${label}, steady again`);
        // Once the clock is steady again, rates are real again.
        expect(again.procs.find((p) => p.pid === burner.pid)?.cpu ?? 0).toBeGreaterThan(20);
      }
      detector.finish();
      for (const inc of detector.incidents()) {
        expect(inc.idleCpuSec).toBeGreaterThanOrEqual(0);
        expect(inc.idleGpuSec).toBeGreaterThanOrEqual(0);
        for (const r of inc.reasons) expect(r.detail).not.toMatch(NEGATIVE);
        for (const r of inc.reasons) expect(r.detail).not.toMatch(/NaN|Infinity/);
      }
      expect(samples.length).toBeGreaterThan(8);
    } finally {
      await c.stop();
      await killAndWait(burner);
      await killAndWait(sleeper);
      if (late) await killAndWait(late);
    }
  }, 30_000);
});
