/**
 * What every scan step shares: the cancellation signal, where file checks look (`--root`), the
 * file-system calls, and the list of things that could not be read (reported, never fatal).
 */
import { join } from 'node:path';
import type { PersistenceKind, ScanProblem, ScanStepId } from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { isReadRefusal } from './safe-read.js';
import { errCode, readFailure, type ScanDirName, type ScanFileData, type ScanFs } from './scan-fs.js';

/** Biggest file a check reads: config files, crontabs and unit files are a few KB. */
export const MAX_TEXT_FILE = 1024 * 1024;

/**
 * Most entries of one folder that are checked. Real autostart and cron folders hold tens; a folder
 * of millions would otherwise hold the scan for as long as the attacker likes.
 */
export const MAX_DIR_ENTRIES = 10_000;

/**
 * A persistence place that is not what it should be: a crontab that is a FIFO, a .bashrc linked to
 * /dev/zero, a 2 GB unit file, a cron folder of 100,000 entries. The scan cannot say what it would
 * run, which is itself worth a look, so each becomes a finding rather than a line under problems.
 */
export interface OddPlace {
  kind: PersistenceKind;
  /** As shown (a name that is not valid UTF-8 has U+FFFD in place of its bad bytes). */
  path: string;
  /** "is a named pipe (FIFO), not a file": the rest of the sentence after the path. */
  what: string;
}

/** How a path is shown in the report. */
export function shownPath(path: string | Buffer): string {
  return typeof path === 'string' ? path : path.toString('utf8');
}

/** The error a cancelled scan rejects with: `name === 'AbortError'`, like fetch and timers/promises. */
export function abortError(): Error {
  return new DOMException('The scan was cancelled', 'AbortError');
}

export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  // Not signal.throwIfAborted(): that throws whatever reason abort() was given, and callers are
  // promised an AbortError.
  if (signal?.aborted) throw abortError();
}

/** Settles with `p`, or rejects with an AbortError as soon as the signal fires. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    // The call is already under way: its own failure would otherwise surface as an unhandled rejection.
    p.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Lets timers and I/O run between chunks of synchronous work, and stops there when cancelled. */
export async function yieldToLoop(signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>((r) => setImmediate(r));
  throwIfAborted(signal);
}

export class ScanContext {
  readonly problems: ScanProblem[];
  readonly oddPlaces: OddPlace[];

  constructor(
    readonly platform: Platform,
    /** File checks read under this folder; `/` for the live system. */
    readonly root: string,
    readonly fs: ScanFs,
    readonly signal: AbortSignal | undefined,
    shared?: { problems: ScanProblem[]; oddPlaces: OddPlace[] },
  ) {
    this.problems = shared?.problems ?? [];
    this.oddPlaces = shared?.oddPlaces ?? [];
  }

  /**
   * The same context under another signal (a step's, which also fires when the step runs out of
   * time), reporting into the same lists.
   */
  withSignal(signal: AbortSignal | undefined): ScanContext {
    return new ScanContext(this.platform, this.root, this.fs, signal, {
      problems: this.problems,
      oddPlaces: this.oddPlaces,
    });
  }

  /** A system path (`/etc/crontab`) as it lies under the scanned root. */
  resolve(path: string): string {
    if (this.root === '/' || this.root === '' || this.platform === 'win32') return path;
    return join(this.root, path);
  }

  problem(step: ScanStepId, path: string | Buffer | null, message: string): void {
    // Bounded: a broken machine can fail thousands of reads, and the report must stay readable.
    if (this.problems.length < 500) this.problems.push({ step, path: path === null ? null : shownPath(path), message });
  }

  /** A persistence place that is not what it should be; bounded like problems. */
  oddPlace(place: OddPlace): void {
    if (this.oddPlaces.length < 500) this.oddPlaces.push(place);
  }

  /**
   * Records a failed read, unless the thing simply is not there: most checked paths are optional.
   * A symlink whose target is missing is reported, since something put it there. Where `kind` says
   * the path is a persistence place, a FIFO, device, socket or oversized file there is an odd place.
   */
  async readProblem(step: ScanStepId, path: string | Buffer, e: unknown, kind?: PersistenceKind): Promise<void> {
    const shown = shownPath(path);
    if (errCode(e) === 'ENOENT') {
      const link = await abortable(this.fs.lstat(path), this.signal).catch(() => null);
      if (link?.kind !== 'link') return;
      const target = await abortable(this.fs.readlink(path), this.signal).catch(() => '?');
      this.problem(step, path, `cannot read ${shown}: a symbolic link to ${target}, which does not exist`);
      return;
    }
    if (kind && isReadRefusal(e) && (e.code === 'ENOTREG' || e.code === 'EFBIG')) {
      this.oddPlace({ kind, path: shown, what: e.what });
      return;
    }
    this.problem(step, path, `cannot read ${shown}: ${readFailure(e)}`);
  }

  /**
   * A folder's entries, sorted, at most MAX_DIR_ENTRIES of them; null (and a problem when it is not
   * just absent) when unreadable. A fuller folder is an odd place where `kind` says it is a
   * persistence folder, else a problem.
   */
  async listEntries(step: ScanStepId, path: string, kind?: PersistenceKind): Promise<ScanDirName[] | null> {
    let names: ScanDirName[];
    try {
      names = await abortable(this.fs.readdir(path, MAX_DIR_ENTRIES), this.signal);
    } catch (e) {
      if (isAbortError(e)) throw e;
      await this.readProblem(step, path, e);
      return null;
    }
    if (names.length > MAX_DIR_ENTRIES) {
      names = names.slice(0, MAX_DIR_ENTRIES);
      const what = `holds more than ${MAX_DIR_ENTRIES.toLocaleString('en-US')} entries; only ${MAX_DIR_ENTRIES.toLocaleString('en-US')} were checked`;
      if (kind) this.oddPlace({ kind, path, what });
      else this.problem(step, path, `${path} ${what}`);
    }
    return names.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  }

  /**
   * A folder's entry names as text, sorted. Names that are not valid UTF-8 cannot be opened by
   * their text: they are reported, not silently skipped. Use listEntries to read such files.
   */
  async listDir(step: ScanStepId, path: string, kind?: PersistenceKind): Promise<string[] | null> {
    const entries = await this.listEntries(step, path, kind);
    if (!entries) return null;
    const out: string[] = [];
    for (const e of entries) {
      if (e.raw === null) out.push(e.text);
      else this.problem(step, join(path, e.text), `${join(path, e.text)}: a name that is not valid UTF-8; not checked`);
    }
    return out;
  }

  /**
   * A regular file of at most `maxBytes` and the mtime of what was read, or null (and a problem,
   * or an odd place where `kind` says it is a persistence place, when it is not just absent).
   */
  async readFile(
    step: ScanStepId,
    path: string | Buffer,
    maxBytes = MAX_TEXT_FILE,
    kind?: PersistenceKind,
  ): Promise<ScanFileData | null> {
    try {
      return await abortable(this.fs.readFile(path, maxBytes), this.signal);
    } catch (e) {
      if (isAbortError(e)) throw e;
      await this.readProblem(step, path, e, kind);
      return null;
    }
  }

  /** A small text file, or null (and a problem when it is not just absent). */
  async readText(
    step: ScanStepId,
    path: string | Buffer,
    maxBytes = MAX_TEXT_FILE,
    kind?: PersistenceKind,
  ): Promise<Buffer | null> {
    return (await this.readFile(step, path, maxBytes, kind))?.data ?? null;
  }

  checkAbort(): void {
    throwIfAborted(this.signal);
  }
}
