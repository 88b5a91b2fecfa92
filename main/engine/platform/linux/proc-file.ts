import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Reads small /proc files into one reused buffer. /proc files report size 0, so the usual
 * readFileSync path stats and grows a fresh buffer per call; on a 1,000-process machine every
 * tick that is thousands of allocations the monitor does not need.
 */
export class ProcFileReader {
  private buf: Buffer;

  constructor(
    initialSize = 4096,
    private readonly maxSize = 256 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Returns the file's text (latin1: /proc content is bytes), or throws the fs error (ENOENT when the process exited). */
  read(path: string): string {
    const total = this.readBytes(path);
    return this.buf.toString('latin1', 0, total);
  }

  /**
   * Reads /proc/PID/stat into `out` straight from the bytes, or returns false when the text is
   * not a stat line (throws the fs error like read). The per-tick path: no string is made per
   * field, and the name only when it differs from `knownComm` (it changes on exec, not per tick).
   */
  readStat(path: string, out: StatFields, knownComm: string | null): boolean {
    return parseStatBytes(this.buf, this.readBytes(path), out, knownComm);
  }

  private readBytes(path: string): number {
    const fd = openSync(path, 'r');
    try {
      let total = 0;
      for (;;) {
        const n = readSync(fd, this.buf, total, this.buf.length - total, null);
        if (n === 0) break;
        total += n;
        if (total < this.buf.length) continue;
        if (this.buf.length >= this.maxSize) break; // bounded: a huge cmdline is cut, not buffered whole
        const bigger = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.maxSize));
        this.buf.copy(bigger, 0, 0, total);
        this.buf = bigger;
      }
      return total;
    } finally {
      closeSync(fd);
    }
  }

  /** Like read() but as UTF-8 (command lines and paths are usually UTF-8). */
  readUtf8(path: string): string {
    const text = this.read(path);
    return Buffer.from(text, 'latin1').toString('utf8');
  }
}

/** Parsed subset of /proc/PID/stat. */
export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  starttime: number;
  rssPages: number;
}

/**
 * Parses /proc/PID/stat. The comm field is in parentheses and may itself contain spaces and
 * parentheses (a process can name itself "a) b"), so fields are counted from the LAST ')'.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const comm = text.slice(open + 1, close);
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const state = rest[0];
  const ppid = statField(rest[1]);
  const utime = statField(rest[11]);
  const stime = statField(rest[12]);
  const starttime = statField(rest[19]);
  const rssPages = statField(rest[21]);
  if (state === undefined || !Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(starttime))
    return null;
  return {
    comm,
    state,
    ppid,
    utime,
    stime: Number.isFinite(stime) ? stime : 0,
    starttime,
    rssPages: Number.isFinite(rssPages) ? rssPages : 0,
  };
}

/**
 * One unsigned decimal field. Number() alone would read an empty field (a line cut just after a
 * separator) as 0 and accept `-5`, `1e3` or `0x1f`, none of which the kernel prints.
 */
function statField(text: string | undefined): number {
  return text !== undefined && /^\d+\n?$/.test(text) ? Number(text) : Number.NaN;
}

/** parseProcStat's fields, filled in place by ProcFileReader.readStat (one object reused per reader). */
export interface StatFields {
  comm: string;
  ppid: number;
  utime: number;
  stime: number;
  starttime: number;
  rssPages: number;
}

export function newStatFields(): StatFields {
  return { comm: '', ppid: 0, utime: 0, stime: 0, starttime: 0, rssPages: 0 };
}

/**
 * parseProcStat on bytes, with the same rules: fields counted from the last ')', each an unsigned
 * decimal (an empty or non-digit field is invalid), ppid, utime and starttime required.
 */
export function parseStatBytes(buf: Buffer, len: number, out: StatFields, knownComm: string | null): boolean {
  let open = -1;
  for (let i = 0; i < len; i++) {
    if (buf[i] === 0x28) {
      open = i;
      break;
    }
  }
  let close = -1;
  for (let i = len - 1; i > open; i--) {
    if (buf[i] === 0x29) {
      close = i;
      break;
    }
  }
  if (open < 0 || close < 0) return false;
  // Fields after "(comm) ": index 0 is state (field 3), index N is field N + 3.
  let field = 0;
  let start = close + 2;
  if (start > len) return false;
  let ppid = Number.NaN;
  let utime = Number.NaN;
  let stime = Number.NaN;
  let starttime = Number.NaN;
  let rssPages = Number.NaN;
  for (let i = start; i <= len && field <= 21; i++) {
    if (i < len && buf[i] !== 0x20) continue;
    if (field === 1) ppid = decimal(buf, start, i);
    else if (field === 11) utime = decimal(buf, start, i);
    else if (field === 12) stime = decimal(buf, start, i);
    else if (field === 19) starttime = decimal(buf, start, i);
    else if (field === 21) rssPages = decimal(buf, start, i);
    field++;
    start = i + 1;
  }
  if (!Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(starttime)) return false;
  out.ppid = ppid;
  out.utime = utime;
  out.stime = Number.isFinite(stime) ? stime : 0;
  out.starttime = starttime;
  out.rssPages = Number.isFinite(rssPages) ? rssPages : 0;
  out.comm =
    knownComm !== null && sameLatin1(buf, open + 1, close, knownComm)
      ? knownComm
      : buf.toString('latin1', open + 1, close);
  return true;
}

/** An unsigned decimal in buf[from, to) (one trailing newline allowed), NaN otherwise. */
function decimal(buf: Buffer, from: number, to: number): number {
  if (to > from && buf[to - 1] === 0x0a) to--;
  if (to <= from) return Number.NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

function sameLatin1(buf: Buffer, from: number, to: number, text: string): boolean {
  if (to - from !== text.length) return false;
  for (let i = 0; i < text.length; i++) if (buf[from + i] !== text.charCodeAt(i)) return false;
  return true;
}
