import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { eventLine } from '../bound.js';
import { type EventAction, type IdlewatchEvent, SYSLOG_SEVERITY } from '../schema.js';
import { LoggerSink } from './logger-sink.js';
import type { ProblemListener } from './sink.js';
import { DEFAULT_FACILITY, FACILITIES, type Facility } from './syslog-priority.js';

/** Where journald listens for native entries (logger --journald sends there). */
export const JOURNALD_SOCKET = '/run/systemd/journal/socket';

export interface JournaldSinkOptions {
  facility?: Facility;
  /**
   * The socket checked before each entry; default JOURNALD_SOCKET. logger cannot be told another
   * one: this is for a journald seen from outside its mount namespace (/proc/PID/root/...).
   */
  socket?: string;
  /** The logger(1) program; default `logger`. */
  logger?: string;
  onProblem?: ProblemListener;
}

/**
 * Journal entries with fields of their own, through `logger --journald` (see LoggerSink for why
 * logger): MESSAGE is the event's JSON line; PRIORITY, SYSLOG_FACILITY, SYSLOG_IDENTIFIER and a
 * MESSAGE_ID per event action are the journal's own fields; IDLEWATCH_* fields carry the event's
 * ids, action, severity, pid, rule and incident key so `journalctl IDLEWATCH_EVENT_ACTION=...`
 * filters without parsing JSON. Process names, paths and command lines are only in MESSAGE, in
 * JSON: no field value carries text a process chose.
 */
export function journaldSink(opts: JournaldSinkOptions = {}): LoggerSink {
  const facility = opts.facility ?? DEFAULT_FACILITY;
  const socket = opts.socket ?? JOURNALD_SOCKET;
  return new LoggerSink({
    description: 'journald',
    // libsystemd's sd_journal_sendv reports success when the socket does not exist at all (no
    // journald is no error to it), so logger would exit 0 with the entry lost: look first.
    precheck: () => (isSocket(socket) ? null : `journald is not running here (no socket ${socket})`),
    command: opts.logger,
    onProblem: opts.onProblem,
    // logger --journald reads one entry per run.
    batchKey: () => null,
    render: (batch) => ({ args: ['--journald'], input: journalEntry(batch[0] as IdlewatchEvent, facility) }),
  });
}

/** A stable 128-bit journal MESSAGE_ID per event action (docs/events.md lists them). */
export function journalMessageId(action: EventAction): string {
  return createHash('sha256').update(`idlewatch-event:${action}`).digest('hex').slice(0, 32);
}

/** The entry as `FIELD=value` lines; every value is one line of printable ASCII. */
export function journalEntry(e: IdlewatchEvent, facility: Facility): string {
  const fields: [string, string | number | undefined][] = [
    ['MESSAGE', eventLine(e)],
    ['PRIORITY', SYSLOG_SEVERITY[e.idlewatch.severity]],
    ['SYSLOG_FACILITY', FACILITIES[facility]],
    ['SYSLOG_IDENTIFIER', 'idlewatch'],
    ['MESSAGE_ID', journalMessageId(e.event.action)],
    ['IDLEWATCH_SCHEMA_VERSION', e.idlewatch.schema_version],
    ['IDLEWATCH_EVENT_ID', e.event.id],
    ['IDLEWATCH_EVENT_ACTION', e.event.action],
    ['IDLEWATCH_EVENT_SEVERITY', e.event.severity],
    ['IDLEWATCH_SEVERITY', e.idlewatch.severity],
    ['IDLEWATCH_PROCESS_PID', e.process?.pid],
    ['IDLEWATCH_RULE_NAME', e.rule?.name],
    ['IDLEWATCH_INCIDENT_ID', e.idlewatch.incident?.id],
  ];
  return fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v).replace(/[^\x20-\x7e]/g, '?')}\n`)
    .join('');
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
