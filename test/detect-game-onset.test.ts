import { describe, expect, it } from 'vitest';
import { detectSamples } from '../main/engine/detect/detector.js';
import { buildStream, type SimProc, wobble } from '../main/engine/detect/sample-builder.js';

const session = [
  { kind: 'active' as const, sec: 120 },
  { kind: 'away' as const, sec: 900 },
  { kind: 'active' as const, sec: 60 },
];
const exe = '/Users/ana/Library/Application Support/Steam/steamapps/common/Hades II/Hades2.app/Contents/MacOS/Hades2';

/** A game-shaped CPU load (macOS shows no per-process GPU): 1-2 cores that move with the "scene". */
function game(startsAfterLeaving: boolean): SimProc {
  return {
    pid: 880,
    name: 'Hades2',
    exe,
    load: (c) => {
      const on = startsAfterLeaving ? c.awayMs !== null && c.awayMs >= 120_000 : true;
      return { cpu: on ? 170 + wobble(c.t, 7) * 40 : 0.3 };
    },
  };
}

describe('a game that gets to work only after the player left', () => {
  it('is medium within about 20 s of its load, with the reason said', () => {
    const { header, samples } = buildStream({ platform: 'darwin', session, procs: [game(true)] });
    const inc = detectSamples(header, samples).find((i) => i.pid === 880);
    expect(['medium', 'high']).toContain(inc?.severity);
    // Left 120 s in, loads from 240 s; medium with the sustained-load rule, not after five minutes.
    expect(inc!.firstAt).toBeLessThan(240_000 + 35_000);
    expect(inc?.reasons.find((r) => r.rule === 'onset-after-idle')?.detail).toMatch(
      /a game does not play itself while nobody is there$/,
    );
  });

  it('a game left running while the player stepped away gets no such evidence', () => {
    const { header, samples } = buildStream({ platform: 'darwin', session, procs: [game(false)] });
    const inc = detectSamples(header, samples).find((i) => i.pid === 880);
    expect(inc?.reasons.map((r) => r.rule) ?? []).not.toContain('onset-after-idle');
    expect(inc === undefined || inc.severity === 'low').toBe(true);
  });
});
