/**
 * Parser for `nvidia-smi pmon` output. The column set depends on the driver and on `-s`
 * (pre-550: `gpu pid type sm mem enc dec command`; 550+: adds `jpg ofa`; `-s um` adds `fb`
 * and, on recent drivers, `ccpm`), so rows are always read through the last header seen.
 */

/** Columns that measure an engine's busy time; `mem` is memory bandwidth and is not one of them. */
export const PMON_ENGINE_COLUMNS = ['sm', 'enc', 'dec', 'jpg', 'ofa'] as const;

export interface PmonProc {
  gpu: number;
  pid: number;
  /** C, G or C+G (M and M+C exist too); null when the driver printed `-`. */
  type: string | null;
  /** Busiest engine over the period, percent; null when no engine was measured. */
  util: number | null;
  /** Each engine column of the header with its value (`-` as null). */
  engines: Record<string, number | null>;
  /** `mem` column: memory-controller (bandwidth) use, percent. Not GPU load. */
  memBandwidth: number | null;
  /** Frame-buffer memory from the `fb` column (MB), null when absent or `-`. */
  fbMiB: number | null;
  /** Process name as pmon prints it: cut to 15 characters; display only. */
  name: string;
}

export interface PmonFrame {
  /** Every GPU index that had a row in this period, including idle ones (pid `-`). */
  gpus: number[];
  procs: PmonProc[];
  /** Whether the header had an `fb` column (so process memory came with the frame). */
  hasFb: boolean;
}

export type PmonLine =
  | { kind: 'header'; columns: string[] }
  | { kind: 'comment' }
  | { kind: 'blank' }
  | { kind: 'row'; gpu: number; proc: PmonProc | null }
  | { kind: 'garbage'; text: string };

/** Lower-cased column names of a `# gpu pid type ...` header line, or null for any other line. */
export function parsePmonHeader(line: string): string[] | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('#')) return null;
  const cols = trimmed
    .slice(1)
    .trim()
    .split(/\s+/)
    .map((c) => c.toLowerCase());
  if (!cols.includes('gpu') || !cols.includes('pid')) return null;
  return cols;
}

/** Parses a value cell: `-` (not measured) and anything non-numeric become null. */
function cell(text: string | undefined): number | null {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text)) return null;
  const n = Number(text);
  // 310+ digits overflow to Infinity: that is not a reading, and the row is refused as garbage.
  return Number.isFinite(n) ? n : null;
}

/**
 * Classifies one line against the current header. A row whose pid is `-` is an idle GPU
 * (pmon prints one such row per GPU with no processes): it yields `proc: null`.
 */
export function parsePmonLine(line: string, columns: readonly string[] | null): PmonLine {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'blank' };
  if (trimmed.startsWith('#')) {
    const header = parsePmonHeader(trimmed);
    return header ? { kind: 'header', columns: header } : { kind: 'comment' };
  }
  if (!columns) return { kind: 'garbage', text: trimmed };
  const tokens = [...trimmed.matchAll(/\S+/g)];
  const last = columns.length - 1;
  const commandLast = columns[last] === 'command';
  if (commandLast ? tokens.length < last : tokens.length !== columns.length) return { kind: 'garbage', text: trimmed };
  const values = new Map<string, string>();
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i] as string;
    if (commandLast && i === last) {
      // Process names may contain spaces ("NVIDIA Overlay."): the name is the rest of the line.
      const start = tokens[i]?.index;
      values.set(col, start === undefined ? '' : trimmed.slice(start).trim());
    } else {
      values.set(col, tokens[i]?.[0] ?? '');
    }
  }
  const gpuText = values.get('gpu') ?? '';
  const pidText = values.get('pid') ?? '';
  if (!isIndex(gpuText) || !(pidText === '-' || isIndex(pidText))) return { kind: 'garbage', text: trimmed };
  for (const [col, v] of values) {
    if (col === 'gpu' || col === 'pid' || col === 'type' || col === 'command') continue;
    // Every metric cell is a number or `-`; anything else means the row is not what we think it is.
    if (v !== '-' && cell(v) === null && !isDateOrTime(col)) return { kind: 'garbage', text: trimmed };
  }
  const gpu = Number(gpuText);
  if (pidText === '-') return { kind: 'row', gpu, proc: null };

  const engines: Record<string, number | null> = {};
  let util: number | null = null;
  for (const col of PMON_ENGINE_COLUMNS) {
    if (!values.has(col)) continue;
    const v = cell(values.get(col));
    engines[col] = v;
    if (v !== null) util = util === null ? v : Math.max(util, v);
  }
  const type = values.get('type');
  const name = values.get('command') ?? '';
  return {
    kind: 'row',
    gpu,
    proc: {
      gpu,
      pid: Number(pidText),
      type: type && type !== '-' ? type : null,
      util,
      engines,
      memBandwidth: cell(values.get('mem')),
      fbMiB: cell(values.get('fb')),
      name: name === '-' ? '' : name,
    },
  };
}

/** A gpu index or pid: digits that fit an exact integer (a 30-digit "pid" is not one). */
function isIndex(text: string): boolean {
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text));
}

/** `-o DT` adds date and time columns; they are not numbers but are not garbage either. */
function isDateOrTime(col: string): boolean {
  return col === 'date' || col === 'time';
}

/**
 * Groups a pmon stream into frames (the rows of one monitoring period). pmon prints no
 * frame marker, and its header repeats at a fixed line count, in the middle of a frame too
 * (see the Windows capture), so a header is NOT a boundary. A frame ends when:
 * - the GPU index goes backwards (rows are printed GPU by GPU), or
 * - a (gpu, pid) pair repeats (each process has one row per GPU per period), or
 * - the caller calls flush(): live, after the stream has been quiet for part of a period.
 * A changed column set also ends the frame, since old and new rows cannot be mixed.
 */
export class PmonFrameAssembler {
  private columnsNow: string[] | null = null;
  private rows: PmonProc[] = [];
  private gpus: number[] = [];
  private keys = new Set<string>();
  private lastGpu = -1;
  /** Lines that were neither header, comment nor a valid row (counted for health reporting). */
  garbageLines = 0;
  lastGarbage: string | null = null;
  /** How the last pushed line was read (a caller watching for headers or errors needs no second parse). */
  lastLine: PmonLine | null = null;

  get columns(): readonly string[] | null {
    return this.columnsNow;
  }

  get hasPending(): boolean {
    return this.gpus.length > 0;
  }

  /** Feeds one line; returns the frame it completed, if any. */
  push(line: string): PmonFrame | null {
    const parsed = parsePmonLine(line, this.columnsNow);
    this.lastLine = parsed;
    switch (parsed.kind) {
      case 'blank':
      case 'comment':
        return null;
      case 'garbage':
        this.garbageLines++;
        this.lastGarbage = parsed.text;
        return null;
      case 'header': {
        if (this.columnsNow && sameColumns(this.columnsNow, parsed.columns)) return null;
        const done = this.flush();
        this.columnsNow = parsed.columns;
        return done;
      }
      case 'row': {
        const key = `${parsed.gpu}:${parsed.proc ? parsed.proc.pid : '-'}`;
        let done: PmonFrame | null = null;
        if (this.hasPending && (parsed.gpu < this.lastGpu || this.keys.has(key))) done = this.flush();
        this.keys.add(key);
        this.lastGpu = parsed.gpu;
        if (!this.gpus.includes(parsed.gpu)) this.gpus.push(parsed.gpu);
        if (parsed.proc) this.rows.push(parsed.proc);
        return done;
      }
    }
  }

  /** Closes the frame in progress (end of input, or the stream went quiet). */
  flush(): PmonFrame | null {
    if (!this.hasPending) return null;
    const frame: PmonFrame = { gpus: this.gpus, procs: this.rows, hasFb: this.columnsNow?.includes('fb') ?? false };
    this.rows = [];
    this.gpus = [];
    this.keys = new Set();
    this.lastGpu = -1;
    return frame;
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

export interface PmonParseResult {
  columns: string[] | null;
  frames: PmonFrame[];
  garbageLines: number;
}

/** Parses a whole pmon capture (`pmon -c N`) into its frames. */
export function parsePmon(text: string): PmonParseResult {
  const asm = new PmonFrameAssembler();
  const frames: PmonFrame[] = [];
  for (const line of text.split('\n')) {
    const done = asm.push(line);
    if (done) frames.push(done);
  }
  const last = asm.flush();
  if (last) frames.push(last);
  return { columns: asm.columns ? [...asm.columns] : null, frames, garbageLines: asm.garbageLines };
}
