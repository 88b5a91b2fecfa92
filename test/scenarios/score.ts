/**
 * Scores detector output against a scenario's ground truth, and sums the corpus up. A scenario
 * counts an incident only at medium or high severity and not allowlisted: what the app would
 * notify about.
 */
import type { Incident, Severity } from '../../shared/detection.js';
import type { GroundTruth, Label, TruthProc } from './model.js';

export const TARGETS = {
  tpr: 0.97,
  fpr: 0.02,
  backgroundAlerts: 0,
  medianLatencySec: 20,
  p90LatencySec: 30,
} as const;

/** `misnamed`: raised on the miner's process, but under another name (the script it exec'd from): not a detection. */
export type Outcome = 'detected' | 'missed' | 'misnamed' | 'clean' | 'false-alarm' | 'error';

export interface Alert {
  pid: number;
  startT: number;
  name: string;
  exe: string | null;
  severity: Severity;
  firstAt: number;
  /** Whose process it is: a benign look-alike of the scenario, or the machine's ordinary background. */
  on: 'lookalike' | 'background';
  rules: string[];
}

export interface ScenarioResult {
  name: string;
  family: string;
  label: Label;
  source: 'synthetic' | 'recorded';
  platform: string;
  summary: string;
  intervalMs: number;
  samples: number;
  processes: { min: number; max: number };
  outcome: Outcome;
  /** Severity of the incident on the miner (the highest when it was restarted). */
  severity: Severity | null;
  score: number | null;
  firstIdleLoadT: number | null;
  /** firstAt of the earliest medium+ incident on a target. */
  firstAt: number | null;
  /** Seconds from the miner's first load while away to the alert (negative: raised before that). */
  latencySec: number | null;
  /** Rules behind the miner's incident. */
  rules: string[];
  /** Medium+ incidents on anything but the miner. */
  falseAlerts: Alert[];
  /** Incidents below medium or allowlisted (shown in the app, no notification). */
  quietIncidents: number;
  generateMs: number;
  replayMs: number;
  warnings: number;
  error?: string;
}

export function alerting(i: Incident): boolean {
  return (i.severity === 'medium' || i.severity === 'high') && !i.allowlisted;
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

function matches(i: Incident, p: TruthProc): boolean {
  return i.pid === p.pid && i.startT === p.startT;
}

/** The incident names the process as the ground truth does (the miner, not what it was before). */
function named(i: Incident, p: TruthProc): boolean {
  return i.name === p.name && (p.exe === null || i.exe === p.exe);
}

export interface ScoreInput {
  truth: GroundTruth;
  summary: string;
  source: 'synthetic' | 'recorded';
  incidents: Incident[];
  generateMs: number;
  replayMs: number;
  warnings: number;
  error?: string;
}

export function scoreScenario(input: ScoreInput): ScenarioResult {
  const { truth, incidents } = input;
  const loud = incidents.filter(alerting);
  const onProcess = loud.filter((i) => truth.targets.some((p) => matches(i, p)));
  const onTarget = truth.nameCheck
    ? onProcess.filter((i) => truth.targets.some((p) => matches(i, p) && named(i, p)))
    : onProcess;
  const falseAlerts: Alert[] = loud
    .filter((i) => !onProcess.includes(i))
    .map((i) => ({
      pid: i.pid,
      startT: i.startT,
      name: i.name,
      exe: i.exe,
      severity: i.severity,
      firstAt: i.firstAt,
      on: truth.lookalikes.some((p) => matches(i, p)) ? 'lookalike' : 'background',
      rules: i.reasons.map((r) => r.rule),
    }));
  const first = onTarget.reduce<Incident | null>((a, i) => (a === null || i.firstAt < a.firstAt ? i : a), null);
  const top = onTarget.reduce<Incident | null>(
    (a, i) => (a === null || RANK[i.severity] > RANK[a.severity] ? i : a),
    null,
  );
  let outcome: Outcome;
  if (input.error !== undefined) outcome = 'error';
  else if (truth.label === 'miner')
    outcome = onTarget.length > 0 ? 'detected' : onProcess.length > 0 ? 'misnamed' : 'missed';
  else outcome = falseAlerts.length > 0 ? 'false-alarm' : 'clean';
  const latencySec = first && truth.firstIdleLoadT !== null ? (first.firstAt - truth.firstIdleLoadT) / 1000 : null;
  return {
    name: truth.scenario,
    family: truth.family,
    label: truth.label,
    source: input.source,
    platform: truth.platform,
    summary: input.summary,
    intervalMs: truth.intervalMs,
    samples: truth.samples,
    processes: truth.processes,
    outcome,
    severity: top?.severity ?? null,
    score: top?.score ?? null,
    firstIdleLoadT: truth.firstIdleLoadT,
    firstAt: first?.firstAt ?? null,
    latencySec,
    rules: top ? top.reasons.map((r) => r.rule) : [],
    falseAlerts,
    quietIncidents: incidents.length - loud.length,
    generateMs: input.generateMs,
    replayMs: input.replayMs,
    warnings: input.warnings,
    ...(input.error !== undefined ? { error: input.error } : {}),
  };
}

/** The q-quantile by the nearest-rank method (no interpolation between scenarios). */
export function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? null;
}

export interface Totals {
  miners: { scenarios: number; detected: number; tpr: number | null };
  benign: { scenarios: number; withFalseAlarm: number; fpr: number | null };
  /** Medium+ alerts on the ordinary background, over every scenario (miner ones included). */
  backgroundAlerts: number;
  backgroundAlertScenarios: string[];
  /** Medium+ alerts on a look-alike that shares a scenario with a miner. */
  collateralAlerts: number;
  latency: {
    n: number;
    medianSec: number | null;
    p90Sec: number | null;
    p95Sec: number | null;
    raisedBeforeIdleLoad: number;
    /** Only the miners raised after their first idle load: how long behaviour alone took. */
    afterIdleLoad: { n: number; medianSec: number | null; p95Sec: number | null };
  };
  errors: number;
  samples: number;
  generateMs: number;
  replayMs: number;
  targets: typeof TARGETS;
  met: { tpr: boolean; fpr: boolean; backgroundAlerts: boolean; medianLatency: boolean; p90Latency: boolean };
}

export function totals(results: ScenarioResult[]): Totals {
  const miners = results.filter((r) => r.label === 'miner');
  const benign = results.filter((r) => r.label === 'benign');
  const detected = miners.filter((r) => r.outcome === 'detected').length;
  const fa = benign.filter((r) => r.outcome === 'false-alarm').length;
  const bg = results.flatMap((r) => r.falseAlerts.filter((a) => a.on === 'background').map(() => r.name));
  // An alert before the first idle load (provenance alone) has waited no time at all.
  const lat = miners.flatMap((r) => (r.latencySec === null ? [] : [Math.max(0, r.latencySec)]));
  const late = miners.flatMap((r) => (r.latencySec !== null && r.latencySec >= 0 ? [r.latencySec] : []));
  const tpr = miners.length > 0 ? detected / miners.length : null;
  const fpr = benign.length > 0 ? fa / benign.length : null;
  const median = quantile(lat, 0.5);
  const p90 = quantile(lat, 0.9);
  return {
    miners: { scenarios: miners.length, detected, tpr },
    benign: { scenarios: benign.length, withFalseAlarm: fa, fpr },
    backgroundAlerts: bg.length,
    backgroundAlertScenarios: [...new Set(bg)],
    collateralAlerts: miners.reduce((n, r) => n + r.falseAlerts.filter((a) => a.on === 'lookalike').length, 0),
    latency: {
      n: lat.length,
      medianSec: median,
      p90Sec: p90,
      p95Sec: quantile(lat, 0.95),
      raisedBeforeIdleLoad: miners.filter((r) => r.latencySec !== null && r.latencySec < 0).length,
      afterIdleLoad: { n: late.length, medianSec: quantile(late, 0.5), p95Sec: quantile(late, 0.95) },
    },
    errors: results.filter((r) => r.outcome === 'error').length,
    samples: results.reduce((n, r) => n + r.samples, 0),
    generateMs: results.reduce((n, r) => n + r.generateMs, 0),
    replayMs: results.reduce((n, r) => n + r.replayMs, 0),
    targets: TARGETS,
    met: {
      tpr: tpr !== null && tpr >= TARGETS.tpr,
      fpr: fpr !== null && fpr <= TARGETS.fpr,
      backgroundAlerts: bg.length <= TARGETS.backgroundAlerts,
      medianLatency: median !== null && median <= TARGETS.medianLatencySec,
      p90Latency: p90 !== null && p90 <= TARGETS.p90LatencySec,
    },
  };
}
