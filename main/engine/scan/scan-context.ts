/**
 * What every scan step shares: the cancellation signal, where file checks look (`--root`), the
 * file-system calls, and the list of things that could not be read (reported, never fatal).
 */
import { join } from 'node:path';
import type { ScanProblem, ScanStepId } from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { errCode, readFailure, type ScanFs } from './scan-fs.js';

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
  if (signal.aborted) return Promise.reject(abortError());
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
  readonly problems: ScanProblem[] = [];

  constructor(
    readonly platform: Platform,
    /** File checks read under this folder; `/` for the live system. */
    readonly root: string,
    readonly fs: ScanFs,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** A system path (`/etc/crontab`) as it lies under the scanned root. */
  resolve(path: string): string {
    if (this.root === '/' || this.root === '' || this.platform === 'win32') return path;
    return join(this.root, path);
  }

  problem(step: ScanStepId, path: string | null, message: string): void {
    // Bounded: a broken machine can fail thousands of reads, and the report must stay readable.
    if (this.problems.length < 500) this.problems.push({ step, path, message });
  }

  /**
   * Records a failed read, unless the thing simply is not there: most checked paths are optional.
   * A symlink whose target is missing is reported, since something put it there.
   */
  async readProblem(step: ScanStepId, path: string, e: unknown): Promise<void> {
    if (errCode(e) === 'ENOENT') {
      const link = await this.fs.lstat(path).catch(() => null);
      if (link?.kind !== 'link') return;
      const target = await this.fs.readlink(path).catch(() => '?');
      this.problem(step, path, `cannot read ${path}: a symbolic link to ${target}, which does not exist`);
      return;
    }
    this.problem(step, path, `cannot read ${path}: ${readFailure(e)}`);
  }

  /** A folder's entry names, sorted; null (and a problem when it is not just absent) when unreadable. */
  async listDir(step: ScanStepId, path: string): Promise<string[] | null> {
    try {
      return (await this.fs.readdir(path)).sort();
    } catch (e) {
      await this.readProblem(step, path, e);
      return null;
    }
  }

  /** A small text file, or null (and a problem when it is not just absent). */
  async readText(step: ScanStepId, path: string, maxBytes = 1024 * 1024): Promise<Buffer | null> {
    try {
      return await this.fs.readFile(path, maxBytes);
    } catch (e) {
      await this.readProblem(step, path, e);
      return null;
    }
  }

  checkAbort(): void {
    throwIfAborted(this.signal);
  }
}
