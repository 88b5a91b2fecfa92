/**
 * Every scenario of the evaluation corpus writes a trace the project's reader accepts (header,
 * identity on first appearance, t moving forward) and that keeps the scenario's promises (its
 * label, its ground truth, the behaviour of its actors). Detection results are not asserted here:
 * `npm run eval` measures them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeScenario } from './scenarios/generator.js';
import { buildScenario, corpus } from './scenarios/scenarios.js';
import { verifyTrace } from './scenarios/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refs = corpus();

describe('scenario corpus', () => {
  it('has unique names and enough scenarios of each label to measure rates', () => {
    const names = refs.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    const miners = refs.filter((r) => r.family.label === 'miner');
    const benign = refs.filter((r) => r.family.label === 'benign');
    // A 2% false-positive target needs at least 50 benign scenarios to mean anything.
    expect(miners.length).toBeGreaterThanOrEqual(50);
    expect(benign.length).toBeGreaterThanOrEqual(50);
  });

  it.each(refs.map((r) => [r.name, r] as const))('%s: valid trace, consistent ground truth', async (_name, ref) => {
    const scenario = buildScenario(ref.family, ref.variant);
    const file = join(dir, `${ref.name.replace('#', '_')}.jsonl`);
    const truth = writeScenario(scenario, file);
    try {
      expect(await verifyTrace(file, scenario, truth)).toEqual([]);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
