import { describe, expect, it } from 'vitest';
import { detectSamples } from '../main/engine/detect/detector.js';
import { buildStream, type LoadContext, type SimProc, wobble } from '../main/engine/detect/sample-builder.js';
import { newSeries, noteBurst, regularBursts } from '../main/engine/detect/signals/bursts.js';

describe('regularBursts', () => {
  it('is a series of equal bursts at an equal period, four or more', () => {
    const s = newSeries('gpu');
    for (let i = 0; i < 3; i++) noteBurst(s, i * 34_000, i * 34_000 + 9000, 95);
    expect(regularBursts(s)).toBeNull();
    noteBurst(s, 3 * 34_000, 3 * 34_000 + 9500, 96);
    expect(regularBursts(s)).toMatchObject({ count: 4, periodMs: 34_000 });
  });

  it('not for bursts at odd times, nor after a long pause or a long run', () => {
    const odd = newSeries('gpu');
    for (const at of [0, 20_000, 95_000, 110_000, 200_000]) noteBurst(odd, at, at + 8000, 90);
    expect(regularBursts(odd)).toBeNull();
    const paused = newSeries('cpu');
    for (let i = 0; i < 3; i++) noteBurst(paused, i * 30_000, i * 30_000 + 6000, 200);
    noteBurst(paused, 400_000, 406_000, 200);
    expect(paused.runs).toHaveLength(1);
    noteBurst(paused, 430_000, 530_000, 200);
    expect(paused.runs).toHaveLength(0);
  });
});

/** 8 s of full GPU every 34 s, once the user has been gone 90 s. */
const burster: SimProc = {
  pid: 4300,
  name: 'gpu-cache',
  exe: '/home/ana/.local/lib/gvfs-x/gpu-cache',
  load: (c: LoadContext) => {
    const on = c.awayMs !== null && c.awayMs >= 90_000 && (c.awayMs - 90_000) % 34_000 < 8000;
    return { gpu: on ? 96 + wobble(c.t, 3) : 0, cpu: on ? 3 : 0.2 };
  },
};

describe('detector: regular bursts while away', () => {
  const session = [
    { kind: 'active' as const, sec: 120 },
    { kind: 'away' as const, sec: 600 },
    { kind: 'active' as const, sec: 60 },
  ];

  it('a GPU miner in short regular bursts, begun after the user left, is medium or more', () => {
    const { header, samples } = buildStream({ session, procs: [burster] });
    const inc = detectSamples(header, samples).find((i) => i.pid === 4300);
    expect(['medium', 'high']).toContain(inc?.severity);
    expect(inc?.reasons.find((r) => r.rule === 'steady-load')?.detail).toMatch(
      /^GPU bursts of \d+ s every 34 s \(\d in a row\), as regular as a timer/,
    );
    expect(inc?.reasons.map((r) => r.rule)).toContain('onset-after-idle');
  });

  it('the same bursts that also came while the user was here are their work, not evidence', () => {
    const always: SimProc = {
      ...burster,
      load: (c) => {
        const on = c.t % 34_000 < 8000;
        return { gpu: on ? 96 + wobble(c.t, 3) : 0, cpu: on ? 3 : 0.2 };
      },
    };
    const { header, samples } = buildStream({ session, procs: [always] });
    const inc = detectSamples(header, samples).find((i) => i.pid === 4300);
    expect(inc?.reasons.find((r) => /burst/.test(r.detail))).toBeUndefined();
  });
});
