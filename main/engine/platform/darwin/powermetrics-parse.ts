/**
 * The text `powermetrics` prints, one block per sample:
 *
 *   *** Sampled system activity (Thu May  2 09:13:49 2024 +0200) (5016.82ms elapsed) ***
 *   *** Running tasks ***
 *   Name                               ID     CPU ms/s  User%  Deadlines (<2 ms, 2-5 ms)  Wakeups (Intr, Pkg idle)
 *   WindowServer                       370    245.40    70.83  0.40    0.00               250.15  3.98
 *   ...
 *   **** GPU usage ****
 *   GPU HW active residency:  22.25% (338 MHz:  22% ...)
 *   GPU idle residency:  92.92%
 *   GPU Power: 14 mW
 *
 * With `--show-process-gpu` the tasks table gains a "GPU ms/s" column: milliseconds of GPU time
 * the task used per second, so GPU ms/s / 10 is the percent of the GPU it kept busy.
 *
 * Task names contain spaces and digits ("iStat Menus Status", "Bartender 5"), so a row is read
 * from the right by the number of columns the header names (a parenthesised group counts one
 * column per item); a row cut short is split at the ID column's offset from the header.
 */

export interface PmTask {
  name: string;
  pid: number;
  cpuMsPerS: number | null;
  /** Null when the table has no GPU column or the row leaves it blank. */
  gpuMsPerS: number | null;
}

export interface PmGpuUsage {
  /** "GPU HW active residency" (Apple GPUs), or "GPU Busy" (older Intel GPUs), percent. */
  activePercent: number | null;
  idlePercent: number | null;
  activeFreqMHz: number | null;
  powerMw: number | null;
}

export interface PmSample {
  /** From the block header; null for a block without one (an excerpt). */
  elapsedMs: number | null;
  /** Null when the block had no tasks table. */
  tasks: PmTask[] | null;
  /** The tasks table had a "GPU ms/s" column. */
  hasGpuColumn: boolean;
  gpu: PmGpuUsage | null;
  /** Table rows that could not be read. */
  badRows: number;
}

export const SUPERUSER_REFUSAL = /must be invoked as the superuser/i;

/**
 * One long-lived run: `powermetrics --samplers tasks,gpu_power --show-process-gpu -i MS -b 1`.
 * `-b 1` asks for line-buffered output, so a block arrives as it is printed and not when a 4 KiB
 * pipe buffer fills.
 */
export function powermetricsArgs(intervalMs: number): string[] {
  return [
    '--samplers',
    'tasks,gpu_power',
    '--show-process-gpu',
    '-i',
    String(Math.max(100, Math.round(intervalMs))),
    '-b',
    '1',
  ];
}

const BLOCK_HEADER = /^\*\*\* Sampled system activity\b/;
const ELAPSED = /\(([\d.]+)\s*ms elapsed\)/;
const TASKS_TITLE = /^\*\*\* Running tasks \*\*\*/;
const SECTION = /^\*{3,4} .* \*{3,4}$/;

interface TableState {
  columns: string[];
  idOffset: number;
  gpuIndex: number;
  cpuIndex: number;
}

/** Splits a tasks header into its column names after "Name"; null when the line is not one. */
export function tasksHeaderColumns(line: string): string[] | null {
  const trimmed = line.trim();
  if (!/^Name\s{2,}ID\b/.test(trimmed)) return null;
  const parts = trimmed
    .split(/\s{2,}/)
    .slice(1)
    .flatMap((p) => p.split(/(?<=\))\s+/));
  const cols: string[] = [];
  for (const part of parts) {
    const m = /^(.*?)\s*\(([^)]*)\)$/.exec(part);
    if (m) for (const sub of (m[2] ?? '').split(',')) cols.push(`${m[1]} ${sub.trim()}`.trim());
    else cols.push(part);
  }
  return cols;
}

function num(token: string | undefined): number | null {
  if (token === undefined || !/^-?\d+(?:\.\d+)?$/.test(token)) return null;
  const n = Number(token);
  return Number.isFinite(n) ? n : null;
}

/** Reads one tasks row against its header; null when it is not a row of that table. */
export function parseTaskRow(line: string, t: TableState): PmTask | null {
  const tokens = [...line.matchAll(/\S+/g)];
  if (tokens.length < 2) return null;
  let name: string;
  let values: string[];
  const n = t.columns.length;
  const tail = tokens.slice(-n).map((m) => m[0]);
  const atId = tokens.findIndex((m) => m.index === t.idOffset);
  if (tokens.length >= n + 1 && tail.every((v) => num(v) !== null)) {
    // A complete row: its last n tokens are the columns (this also reads a row that a name
    // longer than its column pushed to the right).
    name = line.slice(0, tokens[tokens.length - n]?.index ?? 0).trim();
    values = tail;
  } else if (atId > 0 && /^-?\d+$/.test(tokens[atId]?.[0] ?? '')) {
    // A row cut short: split at the ID column. Two numbers in a row in the "name" mean the
    // row is not aligned with its header after all.
    name = line.slice(0, t.idOffset).trim();
    if (/(?:^|\s)-?[\d.]+\s+-?[\d.]+(?:\s|$)/.test(name)) return null;
    values = tokens.slice(atId).map((m) => m[0]);
  } else {
    return null;
  }
  if (name === '' || values.length > t.columns.length) return null;
  const pid = num(values[0]);
  if (pid === null || !Number.isInteger(pid)) return null;
  for (const v of values) if (num(v) === null) return null;
  return {
    name,
    pid,
    cpuMsPerS: t.cpuIndex >= 0 ? num(values[t.cpuIndex]) : null,
    gpuMsPerS: t.gpuIndex >= 0 ? num(values[t.gpuIndex]) : null,
  };
}

/**
 * Turns powermetrics' stdout, line by line, into samples. push() returns a sample when the next
 * block's header shows the previous one is complete; flush() ends the current one (the stream
 * went quiet after a block, or ended).
 */
export class PowermetricsAssembler {
  private cur: PmSample | null = null;
  private table: TableState | null = null;
  private inTasks = false;
  private inGpu = false;
  /** Lines that were neither part of a block nor blank (error text, garbage), counted. */
  strayLines = 0;
  lastStray: string | null = null;

  push(raw: string): PmSample | null {
    const line = raw.replace(/\r$/, '');
    if (BLOCK_HEADER.test(line)) {
      const done = this.flush();
      const m = ELAPSED.exec(line);
      this.cur = { elapsedMs: m ? Number(m[1]) : null, tasks: null, hasGpuColumn: false, gpu: null, badRows: 0 };
      return done;
    }
    const trimmed = line.trim();
    if (TASKS_TITLE.test(trimmed)) {
      const s = this.sample();
      s.tasks = [];
      this.inTasks = true;
      this.inGpu = false;
      this.table = null;
      return null;
    }
    if (SECTION.test(trimmed)) {
      this.inTasks = false;
      this.table = null;
      this.inGpu = /GPU usage/i.test(trimmed);
      if (this.inGpu)
        this.sample().gpu ??= { activePercent: null, idlePercent: null, activeFreqMHz: null, powerMw: null };
      return null;
    }
    if (this.inTasks) {
      this.taskLine(line);
      return null;
    }
    if (trimmed === '') return null;
    if (this.gpuLine(trimmed)) return null;
    if (!this.cur) {
      this.strayLines++;
      this.lastStray = trimmed.slice(0, 200);
    }
    return null;
  }

  flush(): PmSample | null {
    const done = this.cur;
    this.cur = null;
    this.table = null;
    this.inTasks = false;
    this.inGpu = false;
    return done;
  }

  get hasPending(): boolean {
    return this.cur !== null;
  }

  private sample(): PmSample {
    this.cur ??= { elapsedMs: null, tasks: null, hasGpuColumn: false, gpu: null, badRows: 0 };
    return this.cur;
  }

  private taskLine(line: string): void {
    const s = this.sample();
    if (line.trim() === '') {
      // The blank line after the title comes before the header; the one after the rows ends the table.
      if (this.table && (s.tasks?.length ?? 0) > 0) this.inTasks = false;
      return;
    }
    const cols = tasksHeaderColumns(line);
    if (cols) {
      this.table = {
        columns: cols,
        idOffset: line.indexOf('ID'),
        gpuIndex: cols.findIndex((c) => /^GPU ms\/s$/i.test(c)),
        cpuIndex: cols.findIndex((c) => /^CPU ms\/s$/i.test(c)),
      };
      s.hasGpuColumn = this.table.gpuIndex >= 0;
      return;
    }
    if (!this.table) {
      s.badRows++;
      return;
    }
    const row = parseTaskRow(line, this.table);
    if (!row) s.badRows++;
    else if (row.pid >= 0) s.tasks?.push(row); // ALL_TASKS and other summary rows carry negative ids
  }

  private gpuLine(line: string): boolean {
    for (const [re, field] of GPU_LINES) {
      const m = re.exec(line);
      if (!m) continue;
      const s = this.sample();
      s.gpu ??= { activePercent: null, idlePercent: null, activeFreqMHz: null, powerMw: null };
      s.gpu[field] = Number(m[1]);
      return true;
    }
    return this.inGpu;
  }
}

/** The gpu_power sampler's lines we read, and where each value goes. */
const GPU_LINES: ReadonlyArray<readonly [RegExp, keyof PmGpuUsage]> = [
  [/^GPU (?:HW )?active residency:\s*([\d.]+)%/, 'activePercent'],
  [/^GPU \d+ GPU Busy\s*:\s*([\d.]+)%/, 'activePercent'],
  [/^GPU idle residency:\s*([\d.]+)%/, 'idlePercent'],
  [/^GPU (?:HW )?active frequency:\s*([\d.]+)\s*MHz/, 'activeFreqMHz'],
  [/^GPU Power:\s*([\d.]+)\s*mW/, 'powerMw'],
];

/** Every sample in a whole capture. */
export function parsePowermetrics(text: string): PmSample[] {
  const asm = new PowermetricsAssembler();
  const out: PmSample[] = [];
  for (const line of text.split('\n')) {
    const s = asm.push(line);
    if (s) out.push(s);
  }
  const last = asm.flush();
  if (last) out.push(last);
  return out;
}
