/**
 * Real traces recorded on a machine (see record-real.sh) and their labels. Their ground truth is
 * not known by pid in advance, so it is derived from the trace itself: the processes whose
 * identity matches the label's description.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TraceHeader } from '../../shared/trace.js';
import { readTrace } from '../../main/engine/trace/trace-reader.js';
import { LOAD_THRESHOLD } from './generator.js';
import type { GroundTruth, Label, Span, TruthProc } from './model.js';

export interface ProcMatcher {
  exe?: string;
  name?: string;
  cmdlineIncludes?: string;
}

export interface RecordedEntry {
  file: string;
  label: Label;
  summary: string;
  target?: ProcMatcher;
  lookalike?: ProcMatcher;
}

/** The folder with the recorded traces and labels.json (resolved from the source tree). */
export function recordedDir(root?: string): string {
  return root ? join(root, 'test/scenarios/recorded') : dirname(fileURLToPath(import.meta.url)).concat('/recorded');
}

export function loadLabels(dir: string): RecordedEntry[] {
  const parsed = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as { traces: RecordedEntry[] };
  return parsed.traces;
}

function matchesProc(m: ProcMatcher | undefined, p: { name: string; exe: string | null; cmdline: string }): boolean {
  if (!m) return false;
  if (m.exe !== undefined && p.exe !== m.exe) return false;
  if (m.name !== undefined && p.name !== m.name) return false;
  if (m.cmdlineIncludes !== undefined && !p.cmdline.includes(m.cmdlineIncludes)) return false;
  return m.exe !== undefined || m.name !== undefined || m.cmdlineIncludes !== undefined;
}

/** Reads a recorded trace and works out which processes the label means, and when the miner first
 * loaded while the user was away. */
export async function truthFromTrace(file: string, entry: RecordedEntry): Promise<GroundTruth> {
  let header: TraceHeader | null = null;
  const identity = new Map<number, { startT: number; name: string; exe: string | null; cmdline: string }>();
  const targets = new Map<string, TruthProc>();
  const lookalikes = new Map<string, TruthProc>();
  const away: Span[] = [];
  let awayFrom: number | null = null;
  let firstIdleLoadT: number | null = null;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let lastT = 0;
  const result = await readTrace(file, {
    header: (h) => {
      header = h;
    },
    sample: (s) => {
      lastT = s.t;
      min = Math.min(min, s.procs.length);
      max = Math.max(max, s.procs.length);
      const isAway = s.user.state === 'idle' || s.user.state === 'locked';
      if (isAway && awayFrom === null) awayFrom = s.t;
      if (!isAway && awayFrom !== null) {
        away.push({ from: awayFrom, to: s.t });
        awayFrom = null;
      }
      for (const p of s.procs) {
        const known = identity.get(p.pid);
        if (!known || (p.startT !== undefined && p.startT !== known.startT)) {
          identity.set(p.pid, {
            startT: p.startT ?? 0,
            name: p.name ?? '',
            exe: p.exe ?? null,
            cmdline: p.cmdline ?? '',
          });
        }
        const id = identity.get(p.pid);
        if (!id) continue;
        const key = `${p.pid}@${id.startT}`;
        const truth = { key, pid: p.pid, startT: id.startT, name: id.name, exe: id.exe };
        if (matchesProc(entry.target, id)) {
          targets.set(key, { ...truth, role: 'target' });
          if (firstIdleLoadT === null && isAway && ((p.cpu ?? 0) >= LOAD_THRESHOLD || (p.gpu ?? 0) >= LOAD_THRESHOLD))
            firstIdleLoadT = s.t;
        } else if (matchesProc(entry.lookalike, id)) {
          lookalikes.set(key, { ...truth, role: 'lookalike' });
        }
      }
    },
  });
  if (awayFrom !== null) away.push({ from: awayFrom, to: lastT + 1 });
  const h = header as TraceHeader | null;
  return {
    scenario: `recorded/${entry.file}`,
    family: 'recorded',
    label: entry.label,
    platform: h?.host.platform ?? 'linux',
    intervalMs: h?.intervalMs ?? 1000,
    samples: result.samples,
    processes: { min: Number.isFinite(min) ? min : 0, max },
    targets: [...targets.values()],
    lookalikes: [...lookalikes.values()],
    firstIdleLoadT,
    awaySpans: away,
  };
}
