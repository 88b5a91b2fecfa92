import type { IdlewatchEvent } from '../schema.js';

/** What a sink has done since it opened: the daemon reports it, the tests check it. */
export interface SinkStats {
  written: number;
  /** Events given up on (a full disk, a receiver that refused them, a queue that overflowed). */
  dropped: number;
  /** The last failure, one line; null when none. */
  lastError: string | null;
}

/** Where events go. write() never throws and never blocks the caller: failures are counted. */
export interface EventSink {
  /** For messages: `syslog (/dev/log, facility daemon)`, `file /var/log/idlewatch.jsonl`, ... */
  readonly description: string;
  write(event: IdlewatchEvent): void;
  /** Resolves once what was written before has been delivered or dropped. */
  flush(): Promise<void>;
  /** Flushes and releases what the sink holds (file handles, children). */
  close(): Promise<void>;
  stats(): SinkStats;
}

/** Told once per failure (the daemon prints it as one line on stderr). */
export type ProblemListener = (message: string) => void;

/** The counters every sink keeps, with the one-line reporting of failures. */
export class SinkCounters {
  written = 0;
  dropped = 0;
  lastError: string | null = null;

  constructor(private readonly onProblem?: ProblemListener) {}

  drop(n: number, why: string): void {
    this.dropped += n;
    this.lastError = why.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
    try {
      this.onProblem?.(`${n === 1 ? 'an event was' : `${n} events were`} dropped: ${this.lastError}`);
    } catch {
      // the reporter's bug must not stop the sink
    }
  }

  stats(): SinkStats {
    return { written: this.written, dropped: this.dropped, lastError: this.lastError };
  }
}
