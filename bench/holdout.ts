// The hold-out evaluation: scores traces nobody generated here (recorded elsewhere, written by
// someone else) the way `npm run eval` scores the corpus, through the built CLI as a user would run
// it. Every trace in DIR (`NAME.jsonl` or `NAME.jsonl.gz`) with a `NAME.truth.json` beside it (the
// ground truth format of test/scenarios/examples/*.truth.json) is replayed with
// `idlewatch replay --json` and scored, the name check included.
//   npm run eval:holdout -- DIR [--json FILE] [--cli PATH]
// Exits 0 whatever the figures (a measurement); 2 when DIR holds no trace with a truth file.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Incident, ReplayIncident, ReplayOutput } from '../shared/detection.js';
import type { GroundTruth, TruthProc } from '../test/scenarios/model.js';
import { type ScenarioResult, scoreScenario, TARGETS, totals } from '../test/scenarios/score.js';
import { byFamily, HEAD, report, row } from './eval-report.js';

const run = promisify(execFile);

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flagged = new Set(['--json', '--cli'].flatMap((f) => [process.argv.indexOf(f), process.argv.indexOf(f) + 1]));
const dirArg = process.argv.slice(2).find((a, i) => !a.startsWith('--') && !flagged.has(i + 2));
if (!dirArg) {
  console.error('usage: npm run eval:holdout -- DIR [--json FILE] [--cli PATH]');
  process.exit(2);
}
const dir = resolve(dirArg);
const cli = resolve(flag('cli') ?? 'out/cli/idlewatch.js');
const jsonOut = flag('json');

/** The trace files of DIR that have a truth file beside them, by name. */
export function holdoutPairs(folder: string): { trace: string; truth: string }[] {
  const pairs: { trace: string; truth: string }[] = [];
  for (const f of readdirSync(folder).sort()) {
    const m = /^(.*)\.jsonl(?:\.gz)?$/.exec(f);
    if (!m) continue;
    const truth = join(folder, `${m[1]}.truth.json`);
    if (existsSync(truth)) pairs.push({ trace: join(folder, f), truth });
  }
  return pairs;
}

/**
 * `replay --json` lists processes by pid (no start time): a pid that several processes of the
 * truth had is given to the one that had started by the incident's first sample (the latest such).
 * Incidents on anything else keep a start time no truth process has (the ordinary background).
 */
function asIncident(r: ReplayIncident, procs: TruthProc[]): Incident {
  const owner = procs.filter((p) => p.pid === r.pid && p.startT <= r.firstAt).sort((a, b) => b.startT - a.startT)[0];
  return {
    pid: r.pid,
    startT: owner?.startT ?? Number.NaN,
    name: r.name,
    exe: r.exe,
    cmdline: '',
    user: null,
    severity: r.severity,
    score: r.score,
    firstAt: r.firstAt,
    lastAt: r.lastAt,
    reasons: r.reasons,
    idleGpuSec: 0,
    idleCpuSec: 0,
    allowlisted: false,
  };
}

const pairs = holdoutPairs(dir);
if (pairs.length === 0) {
  console.error(`no trace with a .truth.json beside it in ${dir}`);
  process.exit(2);
}
console.log(`replaying ${pairs.length} hold-out traces from ${dir} with ${cli}\n`);
console.log(HEAD);
const results: ScenarioResult[] = [];
for (const p of pairs) {
  const truth = JSON.parse(readFileSync(p.truth, 'utf8')) as GroundTruth & { summary?: string };
  const t0 = performance.now();
  let incidents: Incident[] = [];
  let error: string | undefined;
  try {
    const { stdout } = await run(process.execPath, [cli, 'replay', p.trace, '--json'], {
      maxBuffer: 256 * 1024 * 1024,
    });
    const out = JSON.parse(stdout) as ReplayOutput;
    incidents = out.incidents.map((i) => asIncident(i, [...truth.targets, ...truth.lookalikes]));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    error = (err.stderr || err.message).trim().split('\n')[0] ?? 'replay failed';
  }
  const result = scoreScenario({
    truth,
    summary: truth.summary ?? '',
    source: 'recorded',
    generateMs: 0,
    replayMs: performance.now() - t0,
    warnings: 0,
    incidents,
    ...(error !== undefined ? { error } : {}),
  });
  results.push(result);
  console.log(row(result));
}
const t = totals(results);
byFamily(results);
report(`hold-out traces (${results.length})`, t);
if (jsonOut) {
  writeFileSync(jsonOut, `${JSON.stringify({ dir, targets: TARGETS, totals: t, scenarios: results }, null, 2)}\n`);
  console.log(`\nresults written to ${jsonOut}`);
}
