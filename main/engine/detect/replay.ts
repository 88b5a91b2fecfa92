/**
 * Replays a trace file through the detector, as `idlewatch replay` and the evaluation do: the
 * same Detector the live app runs, with the clock taken from the trace.
 */
import type { Incident, ReplayIncident, ReplayOutput } from '../../../shared/detection.js';
import { readTrace, type TraceWarning } from '../trace/trace-reader.js';
import { Detector, type DetectorEvent, type DetectorOptions } from './detector.js';

export interface ReplayOptions extends DetectorOptions {
  /** What the output's `trace` field says (default: the path as given). */
  traceName?: string;
  /** Every detector event, in order (incident changes, away summaries, notification decisions). */
  onEvent?: (e: DetectorEvent) => void;
}

export interface ReplayResult {
  /** Exactly the spec's "Replay output" object. */
  output: ReplayOutput;
  /** The full incidents (start times, idle GPU/CPU time, allowlisted flag). */
  incidents: Incident[];
  /** Torn last line and similar non-fatal problems. */
  warnings: TraceWarning[];
}

/** The replay output's view of an incident: the spec's fields, in the spec's order. */
export function toReplayIncident(i: Incident): ReplayIncident {
  return {
    pid: i.pid,
    name: i.name,
    exe: i.exe,
    severity: i.severity,
    score: i.score,
    firstAt: i.firstAt,
    lastAt: i.lastAt,
    reasons: i.reasons.map((r) => ({ rule: r.rule, detail: r.detail })),
    ...(i.was ? { was: i.was.map((w) => ({ name: w.name, exe: w.exe, until: w.until })) } : {}),
  };
}

/** Reads and replays FILE (plain or .gz). A malformed file rejects with a TraceError naming the line. */
export async function replayFile(path: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  const { traceName, onEvent, ...detectorOptions } = options;
  let detector: Detector | null = null;
  const emit = (events: DetectorEvent[]): void => {
    if (onEvent) for (const e of events) onEvent(e);
  };
  const { samples, warnings } = await readTrace(path, {
    header: (h) => {
      detector = new Detector(h, detectorOptions);
    },
    sample: (s) => {
      // readTrace calls header() before any sample.
      emit((detector as Detector | null)?.push(s) ?? []);
    },
  });
  const d = detector as Detector | null;
  if (d) emit(d.finish());
  const incidents = d ? d.incidents() : [];
  return {
    output: { trace: traceName ?? path, samples, incidents: incidents.map(toReplayIncident) },
    incidents,
    warnings,
  };
}
