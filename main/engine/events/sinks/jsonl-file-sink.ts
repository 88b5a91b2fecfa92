import { constants } from 'node:fs';
import { type FileHandle, open, rename, stat } from 'node:fs/promises';
import { eventLine } from '../bound.js';
import type { IdlewatchEvent } from '../schema.js';
import { MAX_QUEUED_EVENTS } from './logger-sink.js';
import { type EventSink, type ProblemListener, SinkCounters, type SinkStats } from './sink.js';

export interface JsonlFileSinkOptions {
  /** The file is rotated before a line would take it past this size; default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept beside it (FILE.1 newest ... FILE.N oldest); default 5. */
  keep?: number;
  onProblem?: ProblemListener;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_KEEP = 5;

/**
 * One JSON line per event in a file, rotated by size. Every line is written with one write() of
 * the whole line; when the disk is full the kernel may still take part of it (a short write), so
 * the file is cut back to where the line began: a reader never sees half a line. An event that
 * cannot be written is dropped, counted and reported, and the next one is tried afresh.
 *
 * The file is opened 0600 (events name programs and users). A file moved or truncated by someone
 * else (logrotate) is noticed at the next event: the sink reopens the path or appends at the
 * file's real end.
 */
export class JsonlFileSink implements EventSink {
  readonly description: string;
  private readonly counters: SinkCounters;
  private readonly maxBytes: number;
  private readonly keep: number;
  private handle: FileHandle | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** Lines waiting for the disk: past MAX_QUEUED_EVENTS (a hung NFS mount) new ones are dropped. */
  private waiting = 0;
  private closed = false;

  constructor(
    private readonly path: string,
    opts: JsonlFileSinkOptions = {},
  ) {
    this.description = `file ${path}`;
    this.counters = new SinkCounters(opts.onProblem);
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keep = Math.max(0, Math.floor(opts.keep ?? DEFAULT_KEEP));
  }

  /** Opens (creating) the file now, so that a bad path is an error at start-up, not a dropped event. */
  async open(): Promise<void> {
    await this.reopen();
  }

  write(event: IdlewatchEvent): void {
    if (this.waiting >= MAX_QUEUED_EVENTS) {
      this.counters.drop(1, `${this.description}: ${this.waiting} events already wait for the disk`);
      return;
    }
    const line = Buffer.from(`${eventLine(event)}\n`, 'utf8');
    this.waiting++;
    this.chain = this.chain
      .then(() => this.append(line))
      .finally(() => {
        this.waiting--;
      });
  }

  flush(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    const h = this.handle;
    this.handle = null;
    await h?.close().catch(() => undefined);
  }

  stats(): SinkStats {
    return this.counters.stats();
  }

  private async append(line: Buffer): Promise<void> {
    if (this.closed) {
      this.counters.drop(1, `${this.description}: the sink is closed`);
      return;
    }
    let start = 0;
    let h: FileHandle;
    try {
      h = await this.current();
      start = (await h.stat()).size;
      if (start > 0 && start + line.length > this.maxBytes) {
        await this.rotate();
        h = await this.current();
        start = (await h.stat()).size;
      }
    } catch (e) {
      this.counters.drop(1, `${this.description}: ${errText(e)}`);
      await this.forget();
      return;
    }
    try {
      const { bytesWritten } = await h.write(line, 0, line.length);
      if (bytesWritten === line.length) {
        this.counters.written++;
        return;
      }
      await this.cutBack(h, start);
      this.counters.drop(
        1,
        `${this.description}: no space left for the whole line (${bytesWritten} of ${line.length} bytes)`,
      );
    } catch (e) {
      await this.cutBack(h, start);
      this.counters.drop(1, `${this.description}: ${errText(e)}`);
    }
  }

  /** Removes a partial line (a short write on a full disk) so the file ends with a whole line. */
  private async cutBack(h: FileHandle, size: number): Promise<void> {
    try {
      if ((await h.stat()).size > size) await h.truncate(size);
    } catch {
      // nothing more can be done here; the next write starts with a check of its own
    }
  }

  /** The open handle, reopened when the path now names another file (moved or deleted). */
  private async current(): Promise<FileHandle> {
    if (this.handle) {
      const [mine, there] = await Promise.all([this.handle.stat(), stat(this.path).catch(() => null)]);
      if (there && there.ino === mine.ino && there.dev === mine.dev) return this.handle;
      await this.forget();
    }
    return this.reopen();
  }

  private async reopen(): Promise<FileHandle> {
    // O_APPEND: whatever else writes to the file, each line lands whole at the end.
    // O_NOFOLLOW: a symlink planted at the path cannot redirect the events elsewhere.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;
    const h = await open(this.path, flags, 0o600);
    const st = await h.stat();
    if (!st.isFile()) {
      await h.close();
      throw new Error(`${this.path} is not a regular file`);
    }
    this.handle = h;
    return h;
  }

  private async forget(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close().catch(() => undefined);
  }

  /** FILE → FILE.1 → FILE.2 ... → FILE.keep; the oldest is overwritten. keep 0: FILE starts over. */
  private async rotate(): Promise<void> {
    await this.forget();
    if (this.keep === 0) {
      const h = await open(this.path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
      await h.close();
      return;
    }
    for (let i = this.keep - 1; i >= 1; i--) {
      await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    await rename(this.path, `${this.path}.1`);
  }
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOSPC') return 'no space left on the device';
  return e instanceof Error ? e.message : String(e);
}
