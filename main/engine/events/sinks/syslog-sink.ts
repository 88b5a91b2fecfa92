import { realpathSync } from 'node:fs';
import { eventLine } from '../bound.js';
import type { IdlewatchEvent } from '../schema.js';
import { LoggerSink } from './logger-sink.js';
import type { ProblemListener } from './sink.js';
import { DEFAULT_FACILITY, type Facility, priority } from './syslog-priority.js';

export const DEFAULT_SYSLOG_SOCKET = '/dev/log';
/** RFC 5424 APP-NAME. */
export const SYSLOG_APP_NAME = 'idlewatch';

/** journald's syslog socket, which /dev/log links to on systemd machines. */
export const JOURNALD_DEV_LOG = '/run/systemd/journal/dev-log';

/**
 * `rfc5424`: `<PRI>1 TIMESTAMP HOSTNAME idlewatch PID MSGID - JSON`, for rsyslog or syslog-ng on
 * the socket. `local`: `<PRI>Mmm dd hh:mm:ss idlewatch[PID]: JSON`, what glibc's syslog() sends,
 * for journald's socket: journald (252 at least) does not parse RFC 5424 on /dev/log and would
 * keep the whole header inside MESSAGE; this form gives it SYSLOG_IDENTIFIER=idlewatch,
 * SYSLOG_PID, the facility, the priority and MESSAGE = the JSON, and rsyslog reading the journal
 * sees app-name idlewatch and the JSON as msg. It has no MSGID; the JSON's event.action is the same.
 */
export type SyslogFormat = 'rfc5424' | 'local';

/** The format for a socket: `local` when it is (or links to) journald's, else `rfc5424`. */
export function syslogFormatFor(socket: string): SyslogFormat {
  if (socket.endsWith(JOURNALD_DEV_LOG)) return 'local';
  try {
    return realpathSync(socket) === JOURNALD_DEV_LOG ? 'local' : 'rfc5424';
  } catch {
    return 'rfc5424';
  }
}

export interface SyslogSinkOptions {
  /** The local syslog socket; default /dev/log. */
  socket?: string;
  /** Default: syslogFormatFor(socket), decided when the sink opens. */
  format?: SyslogFormat;
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
  const format = opts.format ?? syslogFormatFor(socket);
  return new LoggerSink({
    description: `syslog (${socket}, facility ${facility}${format === 'local' ? ', journald' : ''})`,
    command: opts.logger,
    onProblem: opts.onProblem,
    batchKey: (e) => (format === 'rfc5424' ? e.event.action : ''),
    render: (batch) => ({
      args: syslogArgs(socket, (batch[0] as IdlewatchEvent).event.action, format),
      input: batch.map((e) => syslogLine(e, facility)).join(''),
    }),
  });
}

export function syslogArgs(socket: string, msgid: string, format: SyslogFormat = 'rfc5424'): string[] {
  // Without --rfc5424 (or --rfc3164, which adds a hostname journald does not expect), logger
  // sends the local form to a unix socket.
  const header = format === 'rfc5424' ? ['--rfc5424=notq', '--msgid', msgid] : [];
  return [
    ...header,
    '--socket-errors=on',
    '--socket',
    socket,
    '--tag',
    SYSLOG_APP_NAME,
    `--id=${process.pid}`,
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
