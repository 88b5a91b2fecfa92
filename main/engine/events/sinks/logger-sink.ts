import type { IdlewatchEvent } from '../schema.js';
import { runLogger } from './logger-run.js';
import { type EventSink, type ProblemListener, SinkCounters, type SinkStats } from './sink.js';

/** Events waiting for logger(1) past this are dropped (and counted): a stuck receiver cannot grow memory. */
export const MAX_QUEUED_EVENTS = 1000;
/** Events of one kind that go through one logger run. */
export const MAX_BATCH = 50;

export interface LoggerSinkOptions {
  description: string;
  /** The logger(1) program; default `logger` from PATH. */
  command?: string;
  /** Events with the same key (not null) may share one run; null: one run per event. */
  batchKey: (e: IdlewatchEvent) => string | null;
  /** The arguments and the stdin of one run for a batch. */
  render: (batch: readonly IdlewatchEvent[]) => { args: string[]; input: string };
  onProblem?: ProblemListener;
  maxQueued?: number;
  /** Checked before each run: why the receiver cannot take events now, or null. */
  precheck?: () => string | null;
}

/**
 * Delivers events through short runs of util-linux logger(1), one after another, in order.
 *
 * Why logger and not a socket of our own: /dev/log (syslog) and /run/systemd/journal/socket
 * (journald) are unix datagram sockets, and Node has no unix datagram sockets (dgram is UDP
 * only; net is stream only); a native module would be a compiled dependency on every install.
 * logger is in util-linux, present on every Linux system that has syslog or journald (Debian's
 * bsdutils is Essential), speaks both (RFC 5424 and `--journald`), and with `--socket-errors=on`
 * exits non-zero when the receiver is missing or refuses, so every run says whether its events
 * arrived.
 *
 * Why a run per batch and not one long-lived logger: a long-lived logger fixes MSGID (one per
 * event kind is wanted) and `--journald` reads a single entry per run; and when a long-lived
 * child dies (the receiver restarted, the socket went away) the lines already in its pipe are lost
 * without a trace of which. Events are rare (incidents, actions, scans, source changes), so a run
 * per event, or per burst of events of one kind, costs a few milliseconds now and then and every
 * event is accounted for.
 */
export class LoggerSink implements EventSink {
  readonly description: string;
  private readonly counters: SinkCounters;
  private readonly queue: IdlewatchEvent[] = [];
  private draining: Promise<void> | null = null;

  constructor(private readonly opts: LoggerSinkOptions) {
    this.description = opts.description;
    this.counters = new SinkCounters(opts.onProblem);
  }

  write(event: IdlewatchEvent): void {
    if (this.queue.length >= (this.opts.maxQueued ?? MAX_QUEUED_EVENTS)) {
      this.counters.drop(1, `${this.description}: ${this.queue.length} events already wait for the receiver`);
      return;
    }
    this.queue.push(event);
    this.kick();
  }

  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  close(): Promise<void> {
    return this.flush();
  }

  stats(): SinkStats {
    return this.counters.stats();
  }

  /** Starts draining unless a drain runs; one that ends with events queued meanwhile starts again. */
  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      const refused = this.opts.precheck?.() ?? null;
      if (refused !== null) {
        this.counters.drop(batch.length, `${this.description}: ${refused}`);
        continue;
      }
      const { args, input } = this.opts.render(batch);
      const r = await runLogger(this.opts.command ?? 'logger', args, input);
      if (r.ok) this.counters.written += batch.length;
      else this.counters.drop(batch.length, `${this.description}: ${r.error ?? 'logger failed'}`);
    }
  }

  private takeBatch(): IdlewatchEvent[] {
    const first = this.queue.shift() as IdlewatchEvent;
    const key = this.opts.batchKey(first);
    const batch = [first];
    if (key === null) return batch;
    while (batch.length < MAX_BATCH && this.queue.length > 0 && this.opts.batchKey(this.queue[0]!) === key)
      batch.push(this.queue.shift() as IdlewatchEvent);
    return batch;
  }
}
