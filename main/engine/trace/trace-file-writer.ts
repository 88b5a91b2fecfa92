import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';

/**
 * Appends JSON lines to a trace file (gzip when the name ends in .gz). Each line is written in
 * one call, so ending the writer (Ctrl-C) always leaves complete lines behind.
 */
export class TraceFileWriter {
  private readonly file: WriteStream;
  private readonly out: Writable;
  private failed: Error | null = null;
  private closed = false;

  constructor(readonly path: string) {
    this.file = createWriteStream(path, { flags: 'w' });
    this.file.on('error', (e) => {
      this.failed = e;
    });
    if (path.endsWith('.gz')) {
      const gz = createGzip();
      gz.on('error', (e) => {
        this.failed = e;
      });
      gz.pipe(this.file);
      this.out = gz;
    } else {
      this.out = this.file;
    }
  }

  /** Resolves once the file is open, or rejects with why it cannot be (missing folder, no permission). */
  ready(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      if (this.file.pending === false) resolve();
      this.file.once('ready', () => resolve());
      this.file.once('error', reject);
    });
  }

  writeLine(value: unknown): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new Error(`trace ${this.path} is already closed`);
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  get error(): Error | null {
    return this.failed;
  }

  /** Flushes and closes; resolves when the bytes are on disk (gzip trailer included). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve, reject) => {
      this.file.once('close', () => (this.failed ? reject(this.failed) : resolve()));
      this.file.once('error', reject);
      this.out.end();
    });
  }
}
