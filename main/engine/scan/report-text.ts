/**
 * Phrases the scan's step details and its HTML report share, so the two never state the same
 * figure two ways.
 */
import type { ScanReport } from '../../../shared/scan.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * `2026-12-07 19:25:56 Europe/Berlin (UTC+01:00)`: the reader's local time, with the zone, since a
 * bare UTC time is read as local and is then hours off.
 */
export function localTime(ms: number, timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) return 'an unknown time';
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${date} ${time} ${timeZone ? `${timeZone} ` : ''}(UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)})`;
}

/**
 * The hidden-process probe in one phrase: how many pids the range holds, and how many of them
 * (those not in the process listing) were probed.
 */
export function hiddenProbeText(h: Pick<NonNullable<ScanReport['hidden']>, 'probed' | 'maxPid' | 'complete'>): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const range = h.maxPid - 1;
  return h.complete
    ? `all ${n(range)} pids checked (the ${n(h.probed)} not in the process listing probed one by one)`
    : `${n(h.probed)} of the pids not in the process listing probed before its time limit (of ${n(range)} pids in all)`;
}
