import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Incident } from '../../../shared/detection.js';
import type { IncidentRecord, StoreProblem } from '../../../shared/storage.js';
import { type AtomicWriteFs, writeFileAtomic } from './atomic-write.js';
import { validateIncident } from './incident-validate.js';
import { StoreWriteError, writeFailure } from './store-errors.js';
import { isRecord, shown, ValidationError } from './validate.js';

export const INCIDENTS_FILE = 'incidents.jsonl';
export const INCIDENT_RECORD_VERSION = 1;
const DAY_MS = 86_400_000;

export interface IncidentLogOptions {
  /** The live file is rotated before it would grow past this. Default 4 MiB. */
  maxFileBytes?: number;
  /** Rotated files kept (incidents.1.jsonl … incidents.K.jsonl); older ones are deleted. Default 4. */
  keepFiles?: number;
  now?: () => number;
  /** For rewrites during pruning (replaceable to simulate failing disks). */
  fs?: AtomicWriteFs;
}

export interface IncidentHistory {
  /** Oldest first. */
  records: IncidentRecord[];
  /** Lines that could not be read, with their file and line number; the rest of the file is still read. */
  problems: StoreProblem[];
}

/**
 * Incident history as JSON lines, one `{"v":1,"recordedAt":…,"incident":{…}}` per line, append-only.
 * Bounded: the live file rotates to incidents.1.jsonl when it would exceed maxFileBytes and at most
 * keepFiles rotated files are kept, so the history never takes more than (keepFiles + 1) × maxFileBytes.
 * One writer per data folder (operations of one instance are serialised).
 */
export class IncidentLog {
  readonly maxFileBytes: number;
  readonly keepFiles: number;
  private readonly now: () => number;
  private readonly fs: AtomicWriteFs | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    opts: IncidentLogOptions = {},
  ) {
    this.maxFileBytes = opts.maxFileBytes ?? 4 * 1024 * 1024;
    this.keepFiles = opts.keepFiles ?? 4;
    if (!(this.maxFileBytes >= 1024)) throw new Error(`maxFileBytes must be at least 1024, got ${this.maxFileBytes}`);
    if (!Number.isInteger(this.keepFiles) || this.keepFiles < 1)
      throw new Error(`keepFiles must be a whole number ≥ 1, got ${this.keepFiles}`);
    this.now = opts.now ?? Date.now;
    this.fs = opts.fs;
  }

  get path(): string {
    return join(this.dir, INCIDENTS_FILE);
  }

  rotatedPath(n: number): string {
    return join(this.dir, `incidents.${n}.jsonl`);
  }

  /**
   * Appends one incident. If the disk fills mid-line the file is cut back to where it was, so a
   * failed append never leaves a broken line behind; the StoreWriteError says why.
   */
  append(incident: Incident, recordedAt: number = this.now()): Promise<void> {
    const v = validateIncident(incident);
    if (!v.ok) return Promise.reject(new ValidationError('incident', v.errors));
    const line = `${JSON.stringify({ v: INCIDENT_RECORD_VERSION, recordedAt, incident: v.value })}\n`;
    return this.serial(() => this.appendLine(line));
  }

  /** All records, oldest file first; unreadable lines are skipped and reported with their line number. */
  read(): Promise<IncidentHistory> {
    return this.serial(async () => {
      const out: IncidentHistory = { records: [], problems: [] };
      for (const file of await this.files()) {
        const parsed = await readLines(file);
        out.records.push(...parsed.records);
        out.problems.push(...parsed.problems);
      }
      return out;
    });
  }

  /**
   * Drops records older than `retentionDays`. A file with nothing left is deleted; a file with some
   * left is rewritten atomically. Unreadable lines are kept until their whole file is older than
   * the cutoff (the file's last write bounds their age), so they stay visible while they matter.
   */
  prune(retentionDays: number): Promise<{ removed: number }> {
    return this.serial(async () => {
      const cutoff = this.now() - retentionDays * DAY_MS;
      let removed = 0;
      for (const file of await this.files()) {
        const parsed = await readLines(file);
        const fileOld = (await stat(file)).mtimeMs < cutoff;
        const keep: string[] = [];
        for (const l of parsed.lines) {
          if (l.record ? l.record.recordedAt >= cutoff : !fileOld) keep.push(l.text);
          else if (l.record) removed++;
        }
        if (keep.length === parsed.lines.length) continue;
        try {
          if (keep.length === 0) await unlink(file);
          else await writeFileAtomic(file, `${keep.join('\n')}\n`, this.fs);
        } catch (e) {
          throw e instanceof StoreWriteError ? e : writeFailure(file, e, 'the history is unchanged');
        }
      }
      return { removed };
    });
  }

  /** Existing history files, oldest first: incidents.K.jsonl … incidents.1.jsonl, incidents.jsonl. */
  async files(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const rotated = names
      .map((n) => /^incidents\.(\d+)\.jsonl$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a)
      .map((n) => this.rotatedPath(n));
    return names.includes(INCIDENTS_FILE) ? [...rotated, this.path] : rotated;
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => {});
    return run;
  }

  private async appendLine(line: string): Promise<void> {
    const bytes = Buffer.byteLength(line);
    let size = 0;
    try {
      size = (await stat(this.path)).size;
    } catch {
      // no live file yet
    }
    if (size > 0 && size + bytes > this.maxFileBytes) {
      await this.rotate();
      size = 0;
    }
    const fh = await mkdir(this.dir, { recursive: true, mode: 0o700 })
      .then(() => open(this.path, 'a+', 0o600))
      .catch((e: unknown) => {
        throw writeFailure(this.path, e, 'the history is unchanged');
      });
    try {
      size = (await fh.stat()).size;
      // A line cut short by a crash must not swallow the next record: start on a fresh line.
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      try {
        await writeAll(fh, Buffer.from(prefix + line, 'utf8'));
        await fh.sync();
      } catch (e) {
        await fh.truncate(size).catch(() => {});
        throw writeFailure(this.path, e, 'the history is unchanged');
      }
    } finally {
      await fh.close();
    }
  }

  private async rotate(): Promise<void> {
    try {
      await unlink(this.rotatedPath(this.keepFiles)).catch(ignoreMissing);
      for (let n = this.keepFiles - 1; n >= 1; n--) {
        await rename(this.rotatedPath(n), this.rotatedPath(n + 1)).catch(ignoreMissing);
      }
      await rename(this.path, this.rotatedPath(1));
    } catch (e) {
      throw writeFailure(this.path, e, 'no record was lost');
    }
  }
}

/** FileHandle.write may write part of the buffer (a disk filling up): loop until all of it is written or it throws. */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, null);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    off += bytesWritten;
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}

interface ParsedLine {
  text: string;
  record: IncidentRecord | null;
}

async function readLines(file: string): Promise<IncidentHistory & { lines: ParsedLine[] }> {
  const out: IncidentHistory & { lines: ParsedLine[] } = { records: [], problems: [], lines: [] };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      out.problems.push({ file, problem: `could not be read (${(e as NodeJS.ErrnoException).code})`, movedTo: null });
    }
    return out;
  }
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const parsed = parseRecord(raw);
    if (typeof parsed === 'string') {
      out.problems.push({
        file,
        line: i + 1,
        problem: `line ${i + 1}: ${parsed}; the line was skipped`,
        movedTo: null,
      });
      out.lines.push({ text: raw, record: null });
    } else {
      out.records.push(parsed);
      out.lines.push({ text: raw, record: parsed });
    }
  });
  return out;
}

/** A record, or what is wrong with the line. */
function parseRecord(raw: string): IncidentRecord | string {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  if (!isRecord(doc)) return 'not a JSON object';
  const v = doc.v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return `no valid record version "v" (got ${shown(v)})`;
  if (v > INCIDENT_RECORD_VERSION) {
    return `written by a newer Idlewatch (record version ${v}; this version reads up to ${INCIDENT_RECORD_VERSION})`;
  }
  const at = doc.recordedAt;
  if (typeof at !== 'number' || !Number.isFinite(at)) return `recordedAt must be a time in epoch ms, got ${shown(at)}`;
  const incident = validateIncident(doc.incident);
  if (!incident.ok) return incident.errors.join('; ');
  return { recordedAt: at, incident: incident.value };
}
