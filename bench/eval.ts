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
import { type ScenarioResult, scoreScenario, TARGETS, type Totals, totals } from '../test/scenarios/score.js';

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

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const fmtSec = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} s`);
const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

function row(r: ScenarioResult): string {
  const extra =
    r.falseAlerts.length > 0
      ? `  alerts: ${r.falseAlerts.map((a) => `${a.name}(${a.on},${a.severity})`).join(', ')}`
      : '';
  const err = r.error ? `  error: ${r.error}` : '';
  return `${pad(r.name, 34)} ${pad(r.platform, 6)} ${pad(r.label, 6)} ${pad(r.outcome, 11)} ${pad(r.severity ?? '-', 6)} ${pad(r.latencySec === null ? '-' : r.latencySec.toFixed(1), 8)} ${pad(String(r.processes.max), 5)} ${pad(`${r.replayMs.toFixed(0)} ms`, 9)}${extra}${err}`;
}

const HEAD = `${pad('scenario', 34)} ${pad('os', 6)} ${pad('label', 6)} ${pad('result', 11)} ${pad('sev', 6)} ${pad('latency', 8)} ${pad('procs', 5)} replay`;

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
  if (!quiet || result.outcome === 'missed' || result.outcome === 'false-alarm' || result.outcome === 'error')
    console.log(row(result));
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

function report(title: string, t: Totals): void {
  const mark = (ok: boolean, measured = true): string => (!measured ? 'n/a' : ok ? 'met' : 'MISSED');
  console.log(`\n${title}`);
  console.log(
    `  true-positive rate    ${pct(t.miners.tpr)} (${t.miners.detected}/${t.miners.scenarios} miner scenarios)   target >= ${pct(TARGETS.tpr)}: ${mark(t.met.tpr, t.miners.tpr !== null)}`,
  );
  console.log(
    `  false-positive rate   ${pct(t.benign.fpr)} (${t.benign.withFalseAlarm}/${t.benign.scenarios} benign scenarios)   target <= ${pct(TARGETS.fpr)}: ${mark(t.met.fpr, t.benign.fpr !== null)}`,
  );
  console.log(
    `  background alerts     ${t.backgroundAlerts}${t.backgroundAlertScenarios.length > 0 ? ` (in ${t.backgroundAlertScenarios.join(', ')})` : ''}   target ${TARGETS.backgroundAlerts}: ${mark(t.met.backgroundAlerts)}`,
  );
  console.log(
    `  latency median        ${fmtSec(t.latency.medianSec)}   target <= ${TARGETS.medianLatencySec} s: ${mark(t.met.medianLatency, t.latency.medianSec !== null)}`,
  );
  console.log(
    `  latency p95           ${fmtSec(t.latency.p95Sec)}   (${t.latency.n} detected miners with an idle load; ${t.latency.raisedBeforeIdleLoad} raised before it, counted as 0)`,
  );
  const late = t.latency.afterIdleLoad;
  console.log(
    `  latency, raised after the idle load began: median ${fmtSec(late.medianSec)}, p95 ${fmtSec(late.p95Sec)} (${late.n} miners)`,
  );
  console.log(`  look-alike alerts in miner scenarios: ${t.collateralAlerts}; replay errors: ${t.errors}`);
  console.log(
    `  replay time           ${(t.replayMs / 1000).toFixed(1)} s for ${t.samples} samples (${((t.samples / Math.max(1, t.replayMs)) * 1000).toFixed(0)} samples/s); generation ${(t.generateMs / 1000).toFixed(1)} s`,
  );
}

function byFamily(results: ScenarioResult[]): void {
  const fams = new Map<string, ScenarioResult[]>();
  for (const r of results) fams.set(r.family, [...(fams.get(r.family) ?? []), r]);
  console.log('\nper family');
  for (const [fam, rs] of fams) {
    const good = rs.filter((r) => r.outcome === 'detected' || r.outcome === 'clean').length;
    console.log(
      `  ${pad(fam, 28)} ${pad(rs[0]?.label ?? '', 6)} ${good}/${rs.length} ${rs[0]?.label === 'miner' ? 'detected' : 'clean'}`,
    );
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
