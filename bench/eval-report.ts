// How `npm run eval` and `npm run eval:holdout` print their results: one row per scenario, the
// totals against the targets, and the same figures per family (a family can fail while the corpus
// as a whole passes, so each is shown on its own).
import { quantile, type ScenarioResult, TARGETS, type Totals, totals } from '../test/scenarios/score.js';

const pad = (s: string, n: number): string => (s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length));
const fmtSec = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} s`);
const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

export const HEAD = `${pad('scenario', 34)} ${pad('os', 6)} ${pad('label', 6)} ${pad('result', 11)} ${pad('sev', 6)} ${pad('latency', 8)} ${pad('procs', 5)} replay`;

export function row(r: ScenarioResult): string {
  const extra =
    r.falseAlerts.length > 0
      ? `  alerts: ${r.falseAlerts.map((a) => `${a.name}(${a.on},${a.severity})`).join(', ')}`
      : '';
  const err = r.error ? `  error: ${r.error}` : '';
  return `${pad(r.name, 34)} ${pad(r.platform, 6)} ${pad(r.label, 6)} ${pad(r.outcome, 11)} ${pad(r.severity ?? '-', 6)} ${pad(r.latencySec === null ? '-' : r.latencySec.toFixed(1), 8)} ${pad(String(r.processes.max), 5)} ${pad(`${r.replayMs.toFixed(0)} ms`, 9)}${extra}${err}`;
}

/** Rows a quiet run still prints: everything that went wrong. */
export function worthShowing(r: ScenarioResult): boolean {
  return r.outcome === 'missed' || r.outcome === 'misnamed' || r.outcome === 'false-alarm' || r.outcome === 'error';
}

export function report(title: string, t: Totals): void {
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
    `  latency p90           ${fmtSec(t.latency.p90Sec)}   target <= ${TARGETS.p90LatencySec} s: ${mark(t.met.p90Latency, t.latency.p90Sec !== null)}`,
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

/**
 * Per family: its platforms, detection (or clean) rate, misnamed detections, background alerts,
 * and latency median and p90; families that miss a target are marked.
 */
export function byFamily(results: ScenarioResult[]): void {
  const fams = new Map<string, ScenarioResult[]>();
  for (const r of results) fams.set(r.family, [...(fams.get(r.family) ?? []), r]);
  console.log('\nper family');
  console.log(
    `  ${pad('family', 30)} ${pad('label', 6)} ${pad('os', 18)} ${pad('TPR/FPR', 15)} ${pad('misnamed', 8)} ${pad('bg', 3)} ${pad('lat med', 8)} ${pad('lat p90', 8)}`,
  );
  for (const [fam, rs] of fams) {
    const t = totals(rs);
    const miner = rs[0]?.label === 'miner';
    const os = [...new Set(rs.map((r) => r.platform))].sort().join(',');
    const rate = miner
      ? `${pct(t.miners.tpr)} ${t.miners.detected}/${t.miners.scenarios}`
      : `${pct(t.benign.fpr)} ${t.benign.withFalseAlarm}/${t.benign.scenarios}`;
    const misnamed = rs.filter((r) => r.outcome === 'misnamed').length;
    const lat = rs.flatMap((r) => (r.latencySec === null ? [] : [Math.max(0, r.latencySec)]));
    const med = quantile(lat, 0.5);
    const p90 = quantile(lat, 0.9);
    const failed =
      (miner ? !t.met.tpr : !t.met.fpr) ||
      !t.met.backgroundAlerts ||
      (miner && med !== null && med > TARGETS.medianLatencySec) ||
      (miner && p90 !== null && p90 > TARGETS.p90LatencySec);
    console.log(
      `  ${pad(fam, 30)} ${pad(rs[0]?.label ?? '', 6)} ${pad(os, 18)} ${pad(rate, 15)} ${pad(String(misnamed), 8)} ${pad(String(t.backgroundAlerts), 3)} ${pad(miner ? fmtSec(med) : '-', 8)} ${pad(miner ? fmtSec(p90) : '-', 8)}${failed ? '  MISSES A TARGET' : ''}`,
    );
  }
}
