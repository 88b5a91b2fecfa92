/** The sentences of the overview banner and the "While you were away" summary. */
import type { AwaySummary, Incident } from '../../../shared/detection.js';
import type { IncidentView } from '../../../shared/ipc.js';
import { clock, durationWords, plural } from './format.js';
import { severityRank } from './severity.js';

/** Open: not reviewed, not allowlisted, and severe enough to alert (medium or high). */
export function isOpenIncident(i: IncidentView): boolean {
  return !i.reviewed && !i.allowlisted && (i.severity === 'medium' || i.severity === 'high');
}

/**
 * Belongs in "Used while you were away": it used the GPU or CPU while the user was away, or it is
 * severe enough to alert. A low finding with no load while away (a quiet process that merely runs
 * from a temp folder) is listed on the Incidents screen only.
 */
export function usedWhileAway(i: IncidentView): boolean {
  return i.severity !== 'low' || i.idleGpuSec >= 1 || i.idleCpuSec >= 1;
}

/** Which resource the incident's evidence is about. */
export function incidentResources(i: Incident): { gpu: boolean; cpu: boolean } {
  const gpu = i.reasons.some((r) => r.rule === 'gpu-while-idle');
  const cpu = i.reasons.some((r) => r.rule === 'cpu-while-idle');
  if (gpu || cpu) return { gpu, cpu };
  if (i.idleGpuSec === 0 && i.idleCpuSec === 0) return { gpu: false, cpu: true };
  return i.idleGpuSec >= i.idleCpuSec ? { gpu: true, cpu: false } : { gpu: false, cpu: true };
}

/** "All quiet", or "2 processes used your GPU while you were away". */
export function statusBannerText(incidents: readonly IncidentView[]): string {
  const open = incidents.filter(isOpenIncident);
  if (open.length === 0) return 'All quiet';
  let gpu = false;
  let cpu = false;
  for (const i of open) {
    const r = incidentResources(i);
    gpu ||= r.gpu;
    cpu ||= r.cpu;
  }
  const what = gpu && cpu ? 'GPU and CPU' : gpu ? 'GPU' : 'CPU';
  return `${plural(open.length, 'process', 'processes')} used your ${what} while you were away`;
}

/**
 * "While you were away (14:02–14:43), nvhelper kept your GPU at 95% for 41 minutes", naming the
 * most severe (then busiest) process and counting the others.
 */
export function awaySummaryText(s: AwaySummary): string {
  const head = `While you were away (${clock(s.from)}–${clock(s.to)})`;
  if (s.processes.length === 0) return `${head}, nothing used your GPU or CPU.`;
  const [top, ...rest] = [...s.processes].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || b.gpuSec + b.cpuSec - (a.gpuSec + a.cpuSec),
  );
  if (!top) return `${head}, nothing used your GPU or CPU.`;
  const gpu = top.gpuSec > 0 && top.gpuSec >= top.cpuSec;
  const load = gpu ? top.gpuSec : top.cpuSec;
  const level = top.busySec > 0 ? ` at ${Math.round((load / top.busySec) * 100)}%` : ' busy';
  const others =
    rest.length > 0 ? `; ${plural(rest.length, 'other process was', 'other processes were')} busy too` : '';
  return `${head}, ${top.name} kept your ${gpu ? 'GPU' : 'CPU'}${level} for ${durationWords(top.busySec)}${others}`;
}
