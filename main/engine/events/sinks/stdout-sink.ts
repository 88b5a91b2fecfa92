import { eventLine } from '../bound.js';
import type { IdlewatchEvent } from '../schema.js';
import { type EventSink, type ProblemListener, SinkCounters, type SinkStats } from './sink.js';

/**
 * One JSON line per event on a stream (`--events -`: stdout, for a supervisor or a shipper that
 * reads the daemon's output). A closed pipe drops the events and says so once per failure.
 */
export class StreamSink implements EventSink {
  readonly description: string;
  private readonly counters: SinkCounters;
  private pending: Promise<void> = Promise.resolve();
  private broken: string | null = null;

  constructor(
    private readonly out: NodeJS.WritableStream,
    opts: { description?: string; onProblem?: ProblemListener } = {},
  ) {
    this.description = opts.description ?? 'stdout';
    this.counters = new SinkCounters(opts.onProblem);
    // An EPIPE arrives as an 'error' event; unhandled it would end the daemon.
    out.on('error', (e: Error) => {
      this.broken = readerGone(e) ?? e.message;
    });
  }

  write(event: IdlewatchEvent): void {
    if (this.broken !== null) {
      this.counters.drop(1, `${this.description}: ${this.broken}`);
      return;
    }
    const line = `${eventLine(event)}\n`;
    this.pending = new Promise<void>((resolve) => {
      this.out.write(line, (err) => {
        if (err) {
          this.broken ??= readerGone(err);
          this.counters.drop(1, `${this.description}: ${readerGone(err) ?? err.message}`);
        } else this.counters.written++;
        resolve();
      });
    });
  }

  flush(): Promise<void> {
    return this.pending;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  stats(): SinkStats {
    return this.counters.stats();
  }
}

/** The words for a pipe whose reader went away (the errors Node gives for it), else null. */
function readerGone(e: Error): string | null {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END'
    ? 'the reader closed the pipe'
    : null;
}
