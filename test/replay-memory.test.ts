/**
 * Issue 7, short version: three hours of a synthetic day (bench/synthetic-day.ts: ~300 processes
 * with churn, miners at known times while the user is away), generated in-process and pushed
 * through the Detector sample by sample. The detector's working state must follow the LIVE
 * processes, not everything it has ever seen, and the miners must be found. The 24-hour version
 * with memory figures is bench/replay-24h.ts.
 */
import { describe, expect, it } from 'vitest';
import type { TraceHeader, TraceSample } from '../shared/trace.js';
import { type DayCounts, type DayPlan, dayPlan24h, synthesizeDay } from '../bench/synthetic-day.js';
import { Detector, type DetectorStats } from '../main/engine/detect/detector.js';

const MIN = 60;

function threeHours(): DayPlan {
  const base = dayPlan24h();
  return {
    ...base,
    hours: 3,
    segments: [
      { kind: 'active', fromSec: 0 },
      { kind: 'away', fromSec: 30 * MIN },
      { kind: 'active', fromSec: 90 * MIN },
      { kind: 'locked', fromSec: 120 * MIN },
    ],
    miners: [
      { ...base.miners[0]!, fromSec: 40 * MIN, toSec: 80 * MIN }, // GPU miner, pool connection
      { ...base.miners[1]!, fromSec: 35 * MIN, toSec: 175 * MIN }, // CPU miner that hides while you work
      { ...base.miners[2]!, fromSec: 130 * MIN, toSec: 170 * MIN }, // deleted executable
    ],
  };
}

describe('three hours of churn through the detector (in-process, no file)', () => {
  it('keeps its per-process state bounded by the live processes and finds the miners', () => {
    const plan = threeHours();
    const counts: DayCounts = { samples: 0, processesSeen: 0, maxAlive: 0 };
    let detector: Detector | null = null;
    const checkpoints: { t: number; alive: number; stats: DetectorStats }[] = [];
    for (const line of synthesizeDay(plan, counts)) {
      if (!('t' in line)) {
        detector = new Detector(line as TraceHeader);
        continue;
      }
      const s = line as TraceSample;
      detector!.push(s);
      if (counts.samples % 300 === 0) checkpoints.push({ t: s.t, alive: s.procs.length, stats: detector!.stats() });
    }
    const d = detector!;
    d.finish();

    expect(counts.samples).toBe(3 * 3600 + 1);
    // Thousands of processes came and went; about 300 were alive at any time.
    expect(counts.processesSeen).toBeGreaterThan(3000);
    expect(counts.maxAlive).toBeLessThan(400);
    for (const c of checkpoints) {
      // One track per live process: exited ones are finalized and dropped at once.
      expect(c.stats.tracks, `tracks at t=${c.t}`).toBe(c.alive);
      expect(c.stats.programs).toBeLessThanOrEqual(200);
      expect(c.stats.episodeExited).toBeLessThanOrEqual(50);
      expect(c.stats.episodeTouched).toBeLessThanOrEqual(c.alive);
      expect(c.stats.watches).toBeLessThanOrEqual(c.alive);
      expect(c.stats.dirty).toBe(0); // rescored within the sample that dirtied them
    }
    // The working set shrinks again after the busy afternoon-like stretch (churn stops while locked).
    const working = checkpoints.filter((c) => c.t >= 95 * MIN * 1000 && c.t < 120 * MIN * 1000);
    const locked = checkpoints.filter((c) => c.t >= 125 * MIN * 1000);
    expect(Math.max(...working.map((c) => c.stats.tracks))).toBeGreaterThan(
      Math.max(...locked.map((c) => c.stats.tracks)),
    );

    const incidents = d.incidents();
    const notified = incidents.filter((i) => i.severity === 'medium' || i.severity === 'high');
    expect(notified.map((i) => i.pid).sort()).toEqual([900_001, 900_002, 900_003]);
    const gpuMiner = incidents.find((i) => i.pid === 900_001)!;
    expect(gpuMiner.reasons.map((r) => r.rule)).toEqual(expect.arrayContaining(['gpu-while-idle', 'pool-connection']));
    const cpuMiner = incidents.find((i) => i.pid === 900_002)!;
    expect(cpuMiner.reasons.map((r) => r.rule)).toEqual(
      expect.arrayContaining(['miner-signature', 'stops-on-activity']),
    );
    // Flagged while away, each within a few minutes of starting.
    expect(gpuMiner.firstAt).toBeLessThan((40 + 5) * MIN * 1000);
    expect(incidents.find((i) => i.pid === 900_003)!.firstAt).toBeLessThan((130 + 5) * MIN * 1000);
    // Incidents are the only thing kept for exited processes, and there are few.
    expect(d.stats().incidents).toBe(incidents.length);
    expect(incidents.length).toBeLessThanOrEqual(10);
  });
});
