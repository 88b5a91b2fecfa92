import type { EngineProc, SourceStatus } from '../../shared/engine-types.js';
import { DELETED_SUFFIX } from '../engine/index.js';

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

/**
 * Linux keeps a process name (comm) of at most 15 characters and macOS of 16, so
 * "gnome-shell-calendar-server" shows as "gnome-shell-cal". A name that long may be cut: then the
 * executable's file name, or else the command's first word, is shown when it starts with the
 * name. A candidate that does not start with the name is not used: a process that renamed
 * itself ("kworker/0:1" on a miner) keeps the name it chose, which is what the detector flags.
 */
export function displayName(p: { name: string; exe: string | null; cmdline: string }): string {
  const { name } = p;
  if (name.length < 15) return name;
  const candidates = [
    p.exe === null ? '' : fileName(p.exe.endsWith(DELETED_SUFFIX) ? p.exe.slice(0, -DELETED_SUFFIX.length) : p.exe),
    fileName(p.cmdline.trimStart().split(/\s/, 1)[0] ?? ''),
  ];
  return candidates.find((c) => c.length > name.length && c.startsWith(name)) ?? name;
}

/** The last part of a path, for / and \ separators alike (traces from Windows are replayed here). */
function fileName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}
