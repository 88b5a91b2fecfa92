/**
 * The scenario generator's building blocks: the seeded random numbers, the person's timeline
 * (idle time, lock, idle-triggered windows), the sample clock, and the trace it writes
 * (deterministic per seed, identity on first appearance only, what an unprivileged recorder
 * cannot see). The whole corpus is checked in scenarios-corpus.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceHeader, TraceSample } from '../shared/trace.js';
import { readTrace } from '../main/engine/trace/trace-reader.js';
import { generate, sampleTimes, writeScenario } from './scenarios/generator.js';
import type { Actor, Host, ProcSpec, Scenario } from './scenarios/model.js';
import { Rng } from './scenarios/prng.js';
import { buildScenario, corpus, FAMILIES } from './scenarios/scenarios.js';
import { TimelineBuilder } from './scenarios/timeline.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Rng', () => {
  it('repeats its sequence for a seed and differs between seeds and forks', () => {
    const seq = (r: Rng) => Array.from({ length: 50 }, () => r.next());
    expect(seq(new Rng('a'))).toEqual(seq(new Rng('a')));
    expect(seq(new Rng('a'))).not.toEqual(seq(new Rng('b')));
    const base = new Rng('a');
    expect(seq(base.fork('x'))).toEqual(seq(new Rng('a').fork('x')));
    expect(seq(base.fork('x'))).not.toEqual(seq(base.fork('y')));
  });

  it('draws within bounds', () => {
    const r = new Rng('bounds');
    for (let i = 0; i < 2000; i++) {
      const n = r.int(3, 7);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(7);
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(new Set(Array.from({ length: 200 }, () => r.int(0, 3)))).toEqual(new Set([0, 1, 2, 3]));
  });
});

describe('Timeline', () => {
  const tb = new TimelineBuilder(new Rng('tl'), 60);
  tb.active(120).away(300).active(60).locked(200, { unlockSec: 5 }).active(30);
  const tl = tb.build();

  it('idle time grows without input, resets on input, and turns into idle at the threshold', () => {
    const awayFrom = tl.lastInputAt(120_000);
    expect(tl.state(awayFrom + 30_000)).toBe('active');
    expect(tl.idleSec(awayFrom + 61_000)).toBeCloseTo(61, 5);
    expect(tl.state(awayFrom + 61_000)).toBe('idle');
    // Back at 420 s: the return input resets the idle time.
    expect(tl.idleSec(420_500)).toBeLessThan(1);
    expect(tl.state(420_500)).toBe('active');
  });

  it('reports locked while the screen is locked, typing the password included', () => {
    expect(tl.state(480_000 + 100_000)).toBe('locked');
    // Back at 680 s, unlocked at 685 s: input arrives while still locked.
    expect(tl.idleSec(682_000)).toBeLessThan(1);
    expect(tl.state(682_000)).toBe('locked');
    expect(tl.state(686_000)).toBe('active');
  });

  it('gives idle-triggered software windows from its own threshold to a few seconds after input', () => {
    const windows = tl.idleWindows(
      90,
      () => 10,
      () => 2,
    );
    expect(windows).toHaveLength(2);
    const first = windows[0]!;
    expect(first.from - tl.lastInputAt(first.from)).toBe(100_000);
    expect(first.to).toBe(tl.nextInputAfter(first.from) + 2000);
    const locks = tl.lockWindows(
      () => 5,
      () => 1,
    );
    expect(locks).toEqual([{ from: 480_000 + 5000, to: tl.locks[0]!.to + 1000 }]);
  });

  it('never lets an active stretch cross the idle threshold', () => {
    const busy = new TimelineBuilder(new Rng('busy'), 60, { busyGapSec: 1, pauseP: 0.3, longPauseP: 0.3 })
      .active(3600)
      .build();
    for (let t = 1000; t < 3600_000; t += 500) expect(busy.state(t)).toBe('active');
  });
});

describe('sample clock', () => {
  it('moves forward at the nominal interval with jitter, slow ticks and gaps', () => {
    const times = sampleTimes(
      { intervalMs: 1000, jitterMs: 10, slowTickP: 0.05, gapP: 0.01 },
      3_600_000,
      new Rng('clock'),
    );
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    const steps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...steps)).toBeGreaterThanOrEqual(2000);
    expect(steps.filter((s) => s > 900 && s < 1100).length / steps.length).toBeGreaterThan(0.85);
  });
});

/** A tiny hand-made scenario to look at single fields. */
function tinyScenario(platform: 'linux' | 'win32', privileged: boolean): Scenario {
  const tb = new TimelineBuilder(new Rng('tiny'), 60);
  const timeline = tb.active(30).away(120).active(20).build();
  const host: Host = {
    platform,
    cpuCores: 4,
    gpus: [{ id: '0', vendor: 'nvidia', name: 'NVIDIA GeForce RTX 3070', memoryMiB: 8192 }],
    user: 'ana',
    home: platform === 'linux' ? '/home/ana' : 'C:\\Users\\ana',
    collectsConns: true,
    gpuPerProcess: true,
    privileged,
  };
  const bg = (key: string, user: string, lives = [{ from: -50_000, to: 999_999 }]): ProcSpec => ({
    key,
    role: 'background',
    name: key,
    exe: `/usr/bin/${key}`,
    cmdline: key,
    user,
    lives,
    load: [],
  });
  const miner: Actor = {
    key: 'miner',
    role: 'target',
    name: 'a-very-long-miner-name',
    exe: '/tmp/.x/m',
    cmdline: '/tmp/.x/m -o stratum+tcp://pool:3333',
    user: 'ana',
    lives: [{ from: -10_000, to: 999_999 }],
    load: [
      {
        kind: 'spans',
        spans: [{ from: 100_000, to: 152_000, level: { gpu: { mean: 97, sd: 1 }, cpu: { mean: 5, sd: 1 } } }],
      },
    ],
    conns: [{ proto: 'tcp', remote: '198.51.100.7:3333', state: 'ESTABLISHED' }],
  };
  return {
    name: 'tiny#0',
    family: 'tiny',
    label: 'miner',
    summary: 'tiny',
    seed: 'tiny',
    plan: {
      host,
      startedAt: '2026-11-26T21:00:00.000Z',
      durationMs: timeline.durationMs,
      sampling: { intervalMs: 1000, jitterMs: 5, slowTickP: 0, gapP: 0 },
      timeline,
      background: [
        bg('daemon', 'root'),
        bg('shell', 'ana'),
        bg('short', 'ana', [
          { from: 5000, to: 9000 },
          { from: 40_000, to: 42_000 },
        ]),
      ],
      actors: [miner],
    },
  };
}

async function readAll(file: string): Promise<{ header: TraceHeader; samples: TraceSample[] }> {
  let header: TraceHeader | null = null;
  const samples: TraceSample[] = [];
  await readTrace(file, { header: (h) => (header = h), sample: (s) => samples.push(s) });
  if (!header) throw new Error('no header');
  return { header, samples };
}

describe('generated trace', () => {
  it('writes identity on first appearance only, bare {pid} entries, and zero CPU on the first sample', async () => {
    const file = join(dir, 'tiny.jsonl');
    const truth = writeScenario(tinyScenario('linux', true), file);
    const { header, samples } = await readAll(file);
    expect(header).toMatchObject({ format: 'idlewatch-trace', version: 1, intervalMs: 1000, idleThresholdSec: 60 });
    const first = samples[0]!;
    expect(first.procs.every((p) => p.cpu === undefined && 'name' in p)).toBe(true);
    const later = samples[5]!;
    expect(later.procs.find((p) => p.pid !== truth.targets[0]!.pid && !('name' in p))).toEqual({
      pid: expect.any(Number),
    });
    // The short helper lived twice: a new process (new pid) each time, each with its identity.
    const shortPids = samples.flatMap((s) => s.procs.filter((p) => p.name === 'short').map((p) => p.pid));
    expect(new Set(shortPids).size).toBe(2);
    // Linux names are the 15-byte comm; connections come with the identity.
    const m = samples.flatMap((s) => s.procs).find((p) => p.pid === truth.targets[0]!.pid && p.name);
    expect(m).toMatchObject({ name: 'a-very-long-min', exe: '/tmp/.x/m', conns: [{ remote: '198.51.100.7:3333' }] });
    expect(truth.firstIdleLoadT).not.toBeNull();
    const atFirst = samples.find((s) => s.t === truth.firstIdleLoadT)!;
    expect(atFirst.user.state).toBe('idle');
    expect(atFirst.procs.find((p) => p.pid === truth.targets[0]!.pid)?.gpu).toBeGreaterThanOrEqual(10);
  });

  it('hides what an unprivileged recorder cannot read', async () => {
    const linux = generate(tinyScenario('linux', false)).text;
    expect(linux).toContain('"name":"daemon","exe":null,"cmdline":"daemon"');
    expect(linux).toContain('"name":"shell","exe":"/usr/bin/shell"');
    const win = generate(tinyScenario('win32', false)).text;
    expect(win).toContain('"name":"daemon","exe":null,"cmdline":"daemon"');
  });

  it('is byte-identical for the same seed and different for another corpus seed', () => {
    for (const name of ['gpu-idle-miner#2', 'screensaver#2', 'steam-shader-precache#0']) {
      const ref = corpus(name)[0]!;
      const a = generate(buildScenario(ref.family, ref.variant)).text;
      const b = generate(buildScenario(ref.family, ref.variant)).text;
      expect(a === b).toBe(true);
      const c = generate(buildScenario(ref.family, ref.variant, 'another-corpus')).text;
      expect(a === c).toBe(false);
    }
  });

  it('reuses pids on Windows only after the previous owner is gone, with identity again', async () => {
    const ref = corpus('background-only#5')[0]!;
    const file = join(dir, 'win.jsonl');
    writeScenario(buildScenario(ref.family, ref.variant), file);
    const { samples } = await readAll(file);
    const owners = new Map<number, Set<number>>();
    for (const s of samples) {
      for (const p of s.procs) {
        if (p.startT === undefined) continue;
        owners.set(p.pid, (owners.get(p.pid) ?? new Set()).add(p.startT));
      }
    }
    expect([...owners.values()].some((starts) => starts.size > 1)).toBe(true);
  });

  it('covers every platform and both labels with more than one family', () => {
    const scenarios = corpus().map((r) => buildScenario(r.family, r.variant));
    for (const platform of ['linux', 'win32', 'darwin']) {
      for (const label of ['miner', 'benign']) {
        expect(scenarios.filter((s) => s.plan.host.platform === platform && s.label === label).length).toBeGreaterThan(
          3,
        );
      }
    }
    expect(new Set(scenarios.map((s) => s.plan.sampling.intervalMs))).toEqual(new Set([1000, 2000]));
    expect(FAMILIES.length).toBeGreaterThanOrEqual(25);
  });
});
