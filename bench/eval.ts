// The detection evaluation: generates the scenario corpus (test/scenarios/) into a temp folder,
// replays every trace through the same code path as `idlewatch replay`, and scores the incidents
// against each scenario's ground truth; then does the same for the real recorded traces.
// A measurement, not a gate: it exits 0 whether or not the targets are met.
//   npm run eval -- [--json FILE] [--filter TEXT] [--keep DIR] [--no-recorded] [--quiet]
// --keep DIR keeps the generated traces there (.jsonl.gz, trace format v1).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Incident } from '../shared/detection.js';
import { replayFile } from '../main/engine/detect/replay.js';
import { writeScenario } from '../test/scenarios/generator.js';
import { loadLabels, type RecordedEntry, recordedDir, truthFromTrace } from '../test/scenarios/recorded.js';
import { buildScenario, CORPUS_SEED, corpus } from '../test/scenarios/scenarios.js';
import { type ScenarioResult, scoreScenario, TARGETS, totals } from '../test/scenarios/score.js';
import { byFamily, HEAD, report, row, worthShowing } from './eval-report.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const jsonOut = flag('json');
const filter = flag('filter');
const keep = flag('keep');
const withRecorded = !process.argv.includes('--no-recorded');
const quiet = process.argv.includes('--quiet');

const dir = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), 'idlewatch-eval-'));
mkdirSync(dir, { recursive: true });

async function replay(
  file: string,
): Promise<{ incidents: Incident[]; warnings: number; replayMs: number; error?: string }> {
  const t0 = performance.now();
  try {
    const r = await replayFile(file);
    return { incidents: r.incidents, warnings: r.warnings.length, replayMs: performance.now() - t0 };
  } catch (e) {
    return { incidents: [], warnings: 0, replayMs: performance.now() - t0, error: (e as Error).message };
  }
}

const synthetic: ScenarioResult[] = [];
const refs = corpus(filter);
console.log(`generating and replaying ${refs.length} scenarios (corpus seed ${CORPUS_SEED}) in ${dir}\n`);
console.log(HEAD);
for (const ref of refs) {
  const g0 = performance.now();
  const scenario = buildScenario(ref.family, ref.variant);
  // gzip level 1: the corpus is over a gigabyte as text; writing that costs more than compressing.
  const file = join(dir, `${ref.name.replace('#', '_')}.jsonl.gz`);
  const truth = writeScenario(scenario, file, 1);
  const generateMs = performance.now() - g0;
  const r = await replay(file);
  const result = scoreScenario({ truth, summary: scenario.summary, source: 'synthetic', generateMs, ...r });
  synthetic.push(result);
  if (!quiet || worthShowing(result)) console.log(row(result));
  if (!keep) rmSync(file, { force: true });
}

const recorded: ScenarioResult[] = [];
if (withRecorded && !filter) {
  const rdir = recordedDir(process.cwd());
  let entries: RecordedEntry[] = [];
  try {
    entries = loadLabels(rdir);
  } catch (e) {
    console.log(`\n(no recorded traces: ${(e as Error).message})`);
  }
  if (entries.length > 0) console.log(`\nrecorded on a real machine (${rdir}):\n${HEAD}`);
  for (const entry of entries) {
    const file = join(rdir, entry.file);
    const truth = await truthFromTrace(file, entry);
    const r = await replay(file);
    const result = scoreScenario({ truth, summary: entry.summary, source: 'recorded', generateMs: 0, ...r });
    recorded.push(result);
    console.log(row(result));
  }
}

const synthTotals = totals(synthetic);
byFamily(synthetic);
report(`synthetic corpus (${synthetic.length} scenarios)`, synthTotals);
const recordedTotals = recorded.length > 0 ? totals(recorded) : null;
if (recordedTotals) {
  // Recorded on a shared machine: its "background" is whatever else ran there, reported apart.
  report(`recorded traces (${recorded.length}, real machine)`, recordedTotals);
}
if (!keep) rmSync(dir, { recursive: true, force: true });

if (jsonOut) {
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ corpusSeed: CORPUS_SEED, filter: filter ?? null, targets: TARGETS, synthetic: { totals: synthTotals, scenarios: synthetic }, recorded: recordedTotals ? { totals: recordedTotals, scenarios: recorded } : null }, null, 2)}\n`,
  );
  console.log(`\nresults written to ${jsonOut}`);
}
