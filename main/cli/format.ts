import type { EngineProc, SourceStatus } from '../../shared/engine-types.js';

/** Control characters in attacker-controlled names would move the cursor or recolour the terminal. */
export function safeText(s: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export function pad(s: string, width: number, right = false): string {
  const t = safeText(s, width);
  return right ? t.padStart(width) : t.padEnd(width);
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : `${v.toFixed(v >= 100 ? 0 : 1)}%`;
}

export function healthMark(s: SourceStatus): string {
  return s.health === 'ok' ? 'ok  ' : s.health === 'degraded' ? 'WARN' : 'no  ';
}

/** Busiest first: GPU share, then CPU share. */
export function byGpuThenCpu(a: EngineProc, b: EngineProc): number {
  return (b.gpu ?? 0) - (a.gpu ?? 0) || b.cpu - a.cpu;
}

export function duration(sec: number | null): string {
  if (sec === null) return 'unknown';
  if (sec < 60) return `${Math.floor(sec)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${Math.floor(sec % 60)} s`;
  return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
}
