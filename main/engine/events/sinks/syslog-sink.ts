import { eventLine } from '../bound.js';
import type { IdlewatchEvent } from '../schema.js';
import { LoggerSink } from './logger-sink.js';
import type { ProblemListener } from './sink.js';
import { DEFAULT_FACILITY, type Facility, priority } from './syslog-priority.js';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';
/** RFC 5424 APP-NAME. */
export const SYSLOG_APP_NAME = 'idlewatch';

export interface SyslogSinkOptions {
  /** The local syslog socket; default /dev/log. */
  socket?: string;
  facility?: Facility;
  /** The logger(1) program; default `logger`. */
  logger?: string;
  onProblem?: ProblemListener;
}

/**
 * RFC 5424 messages on the local syslog socket, through logger(1) (see LoggerSink for why):
 * `<PRI>1 TIMESTAMP HOSTNAME idlewatch PID MSGID - JSON`. PRI is the facility with the event's
 * severity (schema.ts, SYSLOG_SEVERITY), MSGID the event's `event.action`, structured data `-`
 * (`--rfc5424=notq` leaves out logger's timeQuality element), MSG the event as one line of
 * printable ASCII JSON (bound.ts), so no byte of a process name or command line can end the
 * frame or start another.
 */
export function syslogSink(opts: SyslogSinkOptions = {}): LoggerSink {
  const socket = opts.socket ?? DEFAULT_SYSLOG_SOCKET;
  const facility = opts.facility ?? DEFAULT_FACILITY;
  return new LoggerSink({
    description: `syslog (${socket}, facility ${facility})`,
    command: opts.logger,
    onProblem: opts.onProblem,
    batchKey: (e) => e.event.action,
    render: (batch) => ({
      args: syslogArgs(socket, (batch[0] as IdlewatchEvent).event.action),
      input: batch.map((e) => syslogLine(e, facility)).join(''),
    }),
  });
}

export function syslogArgs(socket: string, msgid: string): string[] {
  return [
    '--rfc5424=notq',
    '--socket-errors=on',
    '--socket',
    socket,
    '--tag',
    SYSLOG_APP_NAME,
    `--id=${process.pid}`,
    '--msgid',
    msgid,
    // Each stdin line starts with its own <PRI>: one run can carry events of different severities.
    '--prio-prefix',
    // Lines are at most MAX_EVENT_BYTES; logger's default 1 KiB would split them.
    '--size',
    '8192',
  ];
}

/** One stdin line for logger: `<PRI>` then the JSON. */
export function syslogLine(e: IdlewatchEvent, facility: Facility): string {
  return `<${priority(facility, e.idlewatch.severity)}>${eventLine(e)}\n`;
}
