/**
 * A few generated scenarios are committed (gzipped) under test/scenarios/examples/ so readers can
 * open real-looking traces without running anything, and the recorded real traces sit under
 * test/scenarios/recorded/. The examples must stay exactly what the generator produces; run with
 * UPDATE_SCENARIO_EXAMPLES=1 to rewrite them after a deliberate generator change.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readTrace } from '../main/engine/trace/trace-reader.js';
import { generate } from './scenarios/generator.js';
import { loadLabels, recordedDir, truthFromTrace } from './scenarios/recorded.js';
import { buildScenario, corpus } from './scenarios/scenarios.js';

const EXAMPLES = [
  'gpu-idle-miner#5',
  'browser-tab-miner#1',
  'kernel-thread-impostor#0',
  'screensaver#1',
  'slow-sampling-2000ms#0',
  'sync-client-upload#1',
];
const exampleDir = join(import.meta.dirname, 'scenarios', 'examples');
const update = process.env.UPDATE_SCENARIO_EXAMPLES === '1';
const fileOf = (name: string): string => join(exampleDir, `${name.replace('#', '_')}.jsonl.gz`);

describe('committed example traces', () => {
  it.each(EXAMPLES)('%s is what the generator writes', (name) => {
    const ref = corpus(name).find((r) => r.name === name);
    if (!ref) throw new Error(`no scenario ${name}`);
    const scenario = buildScenario(ref.family, ref.variant);
    const { text, truth } = generate(scenario);
    if (update) {
      mkdirSync(exampleDir, { recursive: true });
      writeFileSync(fileOf(name), gzipSync(text, { level: 9 }));
      writeFileSync(
        fileOf(name).replace('.jsonl.gz', '.truth.json'),
        `${JSON.stringify({ summary: scenario.summary, ...truth }, null, 2)}\n`,
      );
    }
    // Compare decompressed text: gzip bytes may differ between zlib versions.
    expect(gunzipSync(readFileSync(fileOf(name))).toString('utf8') === text).toBe(true);
    const saved = JSON.parse(readFileSync(fileOf(name).replace('.jsonl.gz', '.truth.json'), 'utf8')) as {
      targets: unknown;
    };
    expect(saved.targets).toEqual(truth.targets);
  });

  it('stay small enough to keep in the repository (< 1 MB together)', () => {
    const total = readdirSync(exampleDir).reduce((n, f) => n + statSync(join(exampleDir, f)).size, 0);
    expect(total).toBeLessThan(1_000_000);
  });
});

describe('recorded real traces', () => {
  const dir = recordedDir();
  const entries = existsSync(join(dir, 'labels.json')) ? loadLabels(dir) : [];

  it('are labelled', () => {
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(new Set(entries.map((e) => e.label))).toEqual(new Set(['miner', 'benign']));
  });

  it.each(entries.map((e) => [e.file, e] as const))(
    '%s reads cleanly and its label finds its processes',
    async (_f, entry) => {
      const file = join(dir, entry.file);
      const r = await readTrace(file, { header: () => {}, sample: () => {} });
      expect(r.samples).toBeGreaterThanOrEqual(50);
      const truth = await truthFromTrace(file, entry);
      if (entry.label === 'miner') {
        expect(truth.targets.length).toBeGreaterThan(0);
        expect(truth.firstIdleLoadT).not.toBeNull();
      } else {
        expect(truth.targets).toEqual([]);
        expect(truth.lookalikes.length).toBeGreaterThan(0);
      }
      expect(truth.awaySpans.length).toBeGreaterThan(0);
    },
  );
});
