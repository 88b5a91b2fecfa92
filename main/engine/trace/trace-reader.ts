import type { ReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { TRACE_FORMAT, TRACE_VERSION, type TraceHeader, type TraceSample } from '../../../shared/trace.js';

/**
 * A trace that cannot be read: the message names the line ("FILE:3: not valid JSON"). Line 0 is
 * the file as a whole (missing, a folder, not gzip): the message is then a sentence about the
 * file ("FILE is a folder, not a trace file"), as "FILE:0:" would point at a line that is not there.
 */
export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file} ${message}`);
    this.name = 'TraceError';
  }
}

/** Why a trace file cannot be read, said of the file (TraceError line 0). */
function fileProblem(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'does not exist (a part of its path is a file)';
    case 'EISDIR':
      return 'is a folder, not a trace file';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: permission denied';
    default:
      // Node's message leads with the code and repeats the path: keep only the words.
      return `cannot be read: ${(err.message ?? String(e)).replace(/^[A-Z][A-Z0-9_]+: /, '').replace(/, \w+ '.*'$/, '')}`;
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Opens FILE and checks that it is what its name says before any line is read: a folder, or a .gz
 * that is plain text, would otherwise surface as a raw EISDIR or as "missing header".
 */
async function openTrace(file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new TraceError(file, 0, fileProblem(e));
  }
  try {
    if ((await fh.stat()).isDirectory()) throw new TraceError(file, 0, 'is a folder, not a trace file');
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    const gzip = bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    if (file.endsWith('.gz') && bytesRead === 0) throw new TraceError(file, 0, 'is empty');
    if (file.endsWith('.gz') && !gzip) throw new TraceError(file, 0, 'ends in .gz but is not gzip-compressed');
    if (!file.endsWith('.gz') && gzip)
      throw new TraceError(file, 0, 'is gzip-compressed but its name does not end in .gz');
    return fh;
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e instanceof TraceError ? e : new TraceError(file, 0, fileProblem(e));
  }
}

export interface TraceWarning {
  line: number;
  message: string;
}

export interface TraceHandlers {
  header(h: TraceHeader): void;
  sample(s: TraceSample, line: number): void;
}

const IDENTITY = ['ppid', 'name', 'exe', 'cmdline', 'user', 'startT'] as const;

/**
 * Streams a trace (plain or .gz) and validates it as the spec requires: header first with the
 * known format and version, JSON on every line, `t` never decreasing, identity fields on the first
 * appearance of each process. A torn last line (a killed recorder) is a warning, not an error.
 * Unknown fields are accepted and ignored.
 */
export async function readTrace(
  file: string,
  handlers: TraceHandlers,
): Promise<{ samples: number; warnings: TraceWarning[] }> {
  const raw = (await openTrace(file)).createReadStream({ start: 0 });
  try {
    return await readLines(file, raw, handlers);
  } finally {
    // A trace refused early (line 2 of a big file) leaves the stream paused with its file open.
    raw.destroy();
  }
}

async function readLines(
  file: string,
  raw: ReadStream,
  handlers: TraceHandlers,
): Promise<{ samples: number; warnings: TraceWarning[] }> {
  let input: NodeJS.ReadableStream = raw;
  if (file.endsWith('.gz')) {
    const gunzip = createGunzip();
    // pipe() forwards no errors: a .gz that cannot be opened would be an uncaught 'error' (a
    // crash) and a read that never ends. Hand the error to the stream readline reads.
    raw.on('error', (e) => gunzip.destroy(e));
    input = raw.pipe(gunzip);
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const warnings: TraceWarning[] = [];
  let lineNo = 0;
  let samples = 0;
  let lastT = Number.NEGATIVE_INFINITY;
  let sawHeader = false;
  let pending: { text: string; line: number } | null = null;
  let prevPids = new Map<number, number | undefined>();

  const handle = (text: string, line: number, isLast: boolean): void => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (isLast && sawHeader) {
        warnings.push({ line, message: 'last line is incomplete (the recorder was probably killed); skipped' });
        return;
      }
      throw new TraceError(file, line, 'not valid JSON');
    }
    if (!sawHeader) {
      checkHeader(file, line, value);
      sawHeader = true;
      handlers.header(value as TraceHeader);
      return;
    }
    const s = checkSample(file, line, value);
    if (s.t < lastT) throw new TraceError(file, line, `t goes backwards (${s.t} after ${lastT})`);
    lastT = s.t;
    const pids = new Map<number, number | undefined>();
    for (const p of s.procs) {
      const known = prevPids.has(p.pid);
      const restarted = p.startT !== undefined && known && prevPids.get(p.pid) !== p.startT;
      if (!known || restarted) {
        const missing = IDENTITY.filter((k) => !(k in p));
        if (missing.length > 0) {
          throw new TraceError(file, line, `process ${p.pid} appears for the first time without ${missing.join(', ')}`);
        }
      }
      pids.set(p.pid, p.startT ?? prevPids.get(p.pid));
    }
    prevPids = pids;
    samples++;
    handlers.sample(s, line);
  };

  try {
    for await (const text of lines) {
      lineNo++;
      if (pending) handle(pending.text, pending.line, false);
      pending = text.trim() === '' ? null : { text, line: lineNo };
    }
  } catch (e) {
    if (e instanceof TraceError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') {
      // Gzip-looking bytes that yield no line at all: "missing header" would blame the content.
      if (lineNo === 0) throw new TraceError(file, 0, 'is cut short or damaged: no line of it could be decompressed');
      // A truncated gzip stream: everything before the cut was handled; report the cut.
      if (pending) handle(pending.text, pending.line, true);
      warnings.push({ line: lineNo + 1, message: 'compressed stream ends early (truncated .gz); read up to here' });
      if (!sawHeader) throw new TraceError(file, 1, 'missing header');
      return { samples, warnings };
    }
    // A read error mid-file (EIO, a file on a disconnected share) is about the file, not a line.
    throw new TraceError(file, 0, fileProblem(e));
  }
  if (pending) handle(pending.text, pending.line, true);
  if (!sawHeader) throw new TraceError(file, 1, 'missing header (empty file)');
  return { samples, warnings };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkHeader(file: string, line: number, v: unknown): void {
  if (!isObject(v) || v.format === undefined)
    throw new TraceError(file, line, 'missing header (line 1 has no "format")');
  if (v.format !== TRACE_FORMAT)
    throw new TraceError(file, line, `unknown format ${JSON.stringify(v.format)}, expected "${TRACE_FORMAT}"`);
  if (v.version !== TRACE_VERSION)
    throw new TraceError(
      file,
      line,
      `unsupported version ${JSON.stringify(v.version)}, this reader knows ${TRACE_VERSION}`,
    );
  if (typeof v.startedAt !== 'string' || Number.isNaN(Date.parse(v.startedAt)))
    throw new TraceError(file, line, 'header "startedAt" is not an ISO time');
  if (typeof v.intervalMs !== 'number') throw new TraceError(file, line, 'header "intervalMs" is not a number');
  if (typeof v.idleThresholdSec !== 'number')
    throw new TraceError(file, line, 'header "idleThresholdSec" is not a number');
  const host = v.host;
  if (
    !isObject(host) ||
    typeof host.platform !== 'string' ||
    typeof host.cpuCores !== 'number' ||
    !Array.isArray(host.gpus)
  ) {
    throw new TraceError(file, line, 'header "host" needs platform, cpuCores and gpus');
  }
}

function checkSample(file: string, line: number, v: unknown): TraceSample {
  if (!isObject(v)) throw new TraceError(file, line, 'sample is not a JSON object');
  if (typeof v.t !== 'number' || !Number.isFinite(v.t)) throw new TraceError(file, line, 'sample has no numeric "t"');
  if (!isObject(v.user) || typeof v.user.state !== 'string')
    throw new TraceError(file, line, 'sample has no "user.state"');
  if (!['active', 'idle', 'locked', 'unknown'].includes(v.user.state)) {
    throw new TraceError(file, line, `unknown user.state ${JSON.stringify(v.user.state)}`);
  }
  if (!isObject(v.system)) throw new TraceError(file, line, 'sample has no "system"');
  if (!Array.isArray(v.procs)) throw new TraceError(file, line, 'sample has no "procs" array');
  for (const p of v.procs) {
    if (!isObject(p) || typeof p.pid !== 'number')
      throw new TraceError(file, line, 'a process entry has no numeric "pid"');
  }
  return v as unknown as TraceSample;
}
