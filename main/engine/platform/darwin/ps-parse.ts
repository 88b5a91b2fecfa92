/**
 * macOS (BSD) `ps` output, always run with LC_ALL=C so dates and decimal points are the C
 * locale's. Columns come from `-o` with empty headers (`pid=`), so no header line is printed.
 *
 *   time    accumulated CPU time, user + system: "MMM:SS.hh" (minutes are not wrapped into
 *           hours: 1234:56.78); other ps builds print "[[DD-]HH:]MM:SS", also accepted.
 *   lstart  start time, strftime("%c") in the C locale: "Thu May  2 09:13:49 2024", local time.
 *   ucomm   the accounting name (at most 16 characters, may hold spaces).
 *   comm    on macOS the executable path the process was started with (argv[0] for some, such
 *           as "-zsh"); "(name)" in parentheses when ps could not read the process's arguments.
 *   args    the whole command line (`-ww`: never cut to a terminal width).
 *
 * Only the last column may hold spaces, so each command ends with its one free-text column.
 */

/** Per tick: every process, the cheap columns. */
export const PS_TICK_COLUMNS = 'pid=,ppid=,rss=,time=,lstart=,ucomm=';
/** Per new process, batched: owner and executable path. */
export const PS_IDENTITY_COLUMNS = 'pid=,user=,comm=';
/** Per new process, batched: the command line. */
export const PS_ARGS_COLUMNS = 'pid=,args=';

export function psTickArgs(): string[] {
  return ['-A', '-o', PS_TICK_COLUMNS];
}

/** `ps -ww -o COLUMNS -p 1,2,3`, or `-A` when so many are asked that one listing is cheaper. */
export function psIdentityArgs(columns: string, pids: readonly number[] | 'all'): string[] {
  return pids === 'all' ? ['-ww', '-A', '-o', columns] : ['-ww', '-o', columns, '-p', pids.join(',')];
}

/** The environment every ps run gets: the caller's, with the C locale forced. */
export function psEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, LC_ALL: 'C' };
}

export interface PsTickRow {
  pid: number;
  ppid: number;
  rssKiB: number | null;
  /** Cumulative CPU seconds (user + system); null when ps printed none ("-"). */
  cpuSec: number | null;
  startTimeMs: number;
  ucomm: string;
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const LSTART = /^[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})$/;

/** "Thu May  2 09:13:49 2024" (local time) to epoch ms; null when it is not that format. */
export function parseLstart(text: string): number | null {
  const m = LSTART.exec(text.trim());
  if (!m) return null;
  const month = MONTHS[m[1] ?? ''];
  if (month === undefined) return null;
  const [day, h, min, s, y] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  if (day < 1 || day > 31 || h > 23 || min > 59 || s > 60) return null;
  const ms = new Date(y, month, day, h, min, s).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** CPU time to seconds: "12:34.56" (BSD), "1:02:03", "2-01:02:03", "0:00.00"; null otherwise. */
export function parseCpuTime(text: string): number | null {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d{1,2})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!m) return null;
  const days = Number(m[1] ?? 0);
  const hours = Number(m[2] ?? 0);
  const mins = Number(m[3]);
  const secs = Number(m[4]);
  const frac = m[5] === undefined ? 0 : Number(m[5]) / (m[5].length === 1 ? 10 : 100);
  if (secs > 59) return null;
  return ((days * 24 + hours) * 60 + mins) * 60 + secs + frac;
}

// pid ppid rss time  Www Mmm dd hh:mm:ss yyyy  ucomm
const TICK_ROW =
  /^\s*(\d+)\s+(\d+)\s+(\d+|-)\s+(\S+)\s+([A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2}\s+\d{4})(?:\s(.*))?$/;

/** One line of the per-tick listing; null when it is not one. */
export function parsePsTickRow(line: string): PsTickRow | null {
  const m = TICK_ROW.exec(line);
  if (!m) return null;
  const startTimeMs = parseLstart(m[5] ?? '');
  if (startTimeMs === null) return null;
  const pid = Number(m[1]);
  const ppid = Number(m[2]);
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(ppid)) return null;
  return {
    pid,
    ppid,
    rssKiB: m[3] === '-' ? null : Number(m[3]),
    cpuSec: parseCpuTime(m[4] ?? ''),
    startTimeMs,
    ucomm: (m[6] ?? '').trim(),
  };
}

export interface PsTickListing {
  rows: PsTickRow[];
  /** Non-blank lines that were not rows. */
  bad: number;
  firstBad: string | null;
}

export function parsePsTick(text: string): PsTickListing {
  const rows: PsTickRow[] = [];
  let bad = 0;
  let firstBad: string | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const row = parsePsTickRow(line);
    if (row) rows.push(row);
    else {
      bad++;
      firstBad ??= line.trim().slice(0, 200);
    }
  }
  return { rows, bad, firstBad };
}

export interface PsIdentityRow {
  pid: number;
  user: string | null;
  /** Full executable path when ps printed an absolute one. */
  exe: string | null;
  /** Display name: the executable's base name, or what ps put in parentheses. */
  name: string;
  /** ps could not read this process's arguments (another user's process, without privileges). */
  denied: boolean;
}

/** `pid user comm` lines (comm last: it may hold spaces). */
export function parsePsIdentity(text: string): Map<number, PsIdentityRow> {
  const out = new Map<number, PsIdentityRow>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const comm = (m[3] ?? '').trim();
    const user = m[2] ?? null;
    const paren = /^\((.*)\)$/.exec(comm);
    if (paren) {
      out.set(pid, { pid, user, exe: null, name: paren[1] ?? '', denied: true });
    } else if (comm.startsWith('/')) {
      out.set(pid, { pid, user, exe: comm, name: comm.slice(comm.lastIndexOf('/') + 1), denied: false });
    } else {
      // argv[0] as given ("-zsh", "login"): a name, not a path we can vouch for.
      out.set(pid, { pid, user, exe: null, name: comm.replace(/^-/, ''), denied: false });
    }
  }
  return out;
}

/** `pid args` lines. */
export function parsePsArgs(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)(?:\s(.*))?$/.exec(line);
    if (!m) continue;
    out.set(Number(m[1]), (m[2] ?? '').trim());
  }
  return out;
}
