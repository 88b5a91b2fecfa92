import type { Incident, Severity } from '../../shared/detection.js';
import type { Sensitivity } from '../../shared/settings.js';
import { replayFile, TraceError } from '../engine/index.js';
import { displayName, pad, safeText } from './format.js';

export interface ReplayCliOptions {
  file: string;
  json: boolean;
  sensitivity?: Sensitivity;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** t (trace ms) as h:mm:ss from the start of the recording. */
function clock(t: number): string {
  const s = Math.max(0, Math.floor(t / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

const ORDER: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

function table(file: string, samples: number, incidents: Incident[]): string {
  const count = (s: Severity): number => incidents.filter((i) => i.severity === s).length;
  const lines: string[] = [];
  lines.push(
    `${safeText(file, 200)}: ${samples} samples, ${incidents.length} incident${incidents.length === 1 ? '' : 's'} (${count('high')} high, ${count('medium')} medium, ${count('low')} low)`,
  );
  if (incidents.length === 0) return `${lines.join('\n')}\n`;
  lines.push('medium and high would notify; low is shown in the app only. Times are from the start of the trace.');
  lines.push('');
  lines.push(
    `${pad('SEVERITY', 8)} ${pad('SCORE', 5)} ${pad('PID', 7, true)}  ${pad('NAME', 24)} ${pad('FIRST', 8)} ${pad('LAST', 8)}  IDLE GPU·s / CPU·s`,
  );
  const sorted = [...incidents].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.firstAt - b.firstAt);
  for (const i of sorted) {
    const flag = i.allowlisted ? ' (allowlisted)' : '';
    lines.push(
      `${pad(i.severity, 8)} ${pad(i.score.toFixed(2), 5)} ${pad(String(i.pid), 7, true)}  ${pad(displayName(i), 24)} ${pad(clock(i.firstAt), 8)} ${pad(clock(i.lastAt), 8)}  ${i.idleGpuSec.toFixed(0)} / ${i.idleCpuSec.toFixed(0)}${flag}`,
    );
    lines.push(`${' '.repeat(9)}${safeText(i.exe ?? '(program path unreadable)', 110)}`);
    for (const r of i.reasons) lines.push(`${' '.repeat(9)}- ${safeText(`${r.rule}: ${r.detail}`, 150)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `idlewatch replay FILE [--json]`: runs a recorded trace through the detection engine. `--json`
 * prints exactly the replay output of the trace format spec. A malformed file: a message naming
 * the line on stderr, exit 2; a torn last line: a warning, exit 0.
 */
export async function runReplay(opts: ReplayCliOptions): Promise<number> {
  let result: Awaited<ReturnType<typeof replayFile>>;
  try {
    result = await replayFile(opts.file, opts.sensitivity ? { sensitivity: opts.sensitivity } : {});
  } catch (e) {
    if (e instanceof TraceError) {
      opts.err.write(`idlewatch replay: ${safeText(e.message, 500)}\n`);
      return 2;
    }
    throw e;
  }
  for (const w of result.warnings)
    opts.err.write(`idlewatch replay: warning: ${safeText(opts.file, 200)}:${w.line}: ${w.message}\n`);
  if (opts.json) {
    opts.out.write(`${JSON.stringify(result.output, null, 2)}\n`);
  } else {
    opts.out.write(table(opts.file, result.output.samples, result.incidents));
  }
  return 0;
}
