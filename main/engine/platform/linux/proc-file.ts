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
      return this.buf.toString('latin1', 0, total);
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
