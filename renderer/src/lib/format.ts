/** Text formatting shared by every screen. Pure functions of their arguments (and the local time zone). */

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}%`;
}

export function duration(sec: number | null): string {
  if (sec === null) return 'unknown';
  if (sec < 60) return `${Math.floor(sec)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min`;
  return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "41 minutes", "1 hour 5 minutes", "30 seconds": for sentences. */
export function durationWords(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return plural(s, 'second', 'seconds');
  const min = Math.round(s / 60);
  if (min < 60) return plural(min, 'minute', 'minutes');
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m === 0 ? plural(h, 'hour', 'hours') : `${plural(h, 'hour', 'hours')} ${plural(m, 'minute', 'minutes')}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Local wall-clock time, "14:02". */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Local date, "2025-03-01". */
export function isoDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local date and time, "2025-03-01 14:02:09". */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return `${isoDay(ms)} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Percent-seconds of load as "12.3 GPU·s". */
export function loadSeconds(sec: number, unit: 'GPU' | 'CPU'): string {
  return `${sec >= 100 ? sec.toFixed(0) : sec.toFixed(1)} ${unit}·s`;
}

export function shortHash(sha256: string): string {
  return sha256.length > 12 ? `${sha256.slice(0, 12)}…` : sha256;
}

/**
 * The message of a failed call, as the engine wrote it. Electron wraps errors thrown by IPC
 * handlers as "Error invoking remote method 'channel': Error: message"; only that transport
 * prefix is removed.
 */
export function errorMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  return raw.replace(/^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/, '');
}

/**
 * "2026-12-07 19:25:56 Europe/Berlin (UTC+01:00)": local date and time with the zone, where a time
 * stands alone (a scan's start), as the text and HTML reports write it; a bare time is read as
 * local and an ISO time in UTC is hours off.
 */
export function localDateTime(ms: number, timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return 'an unknown time';
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const zone = `(UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)})`;
  return `${dateTime(ms)} ${timeZone ? `${timeZone} ` : ''}${zone}`;
}
