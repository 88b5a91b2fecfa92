/**
 * The SIEM event schema (docs/events.md): one JSON object per thing that happened, with field
 * names from the Elastic Common Schema where one fits and Idlewatch's own under `idlewatch.*`.
 * The schema is versioned by `idlewatch.schema_version`: a field is only ever added within a
 * version; renaming, removing or changing the meaning of one makes the next version.
 */

/** Bumped when a field is renamed, removed or changes meaning (docs/events.md, "Versions"). */
export const EVENT_SCHEMA_VERSION = 1;

/** The ECS release the field names follow. */
export const ECS_VERSION = '8.11.0';

/** Every `event.action`, also the RFC 5424 MSGID (at most 32 printable ASCII characters). */
export const EVENT_ACTIONS = [
  'incident-opened',
  'incident-raised',
  'incident-closed',
  'process-kill',
  'process-pause',
  'process-resume',
  'process-quarantine',
  'process-action',
  'scan-finished',
  'source-down',
  'source-up',
  'allowlist-entry-added',
  'allowlist-entry-removed',
  'allowlist-changed',
] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/**
 * How serious an event is, on one scale for every sink: `info` is a record (a scan that found
 * nothing, a source back up); the others are an incident's severity or what a failure means.
 */
export type EventLevel = 'info' | 'low' | 'medium' | 'high';

/**
 * `event.severity`: the numbers Elastic Security gives its rule severities (low 21, medium 47,
 * high 73), so a SIEM that already sorts alerts by them sorts ours the same way.
 */
export const ECS_SEVERITY: Readonly<Record<EventLevel, number>> = { info: 0, low: 21, medium: 47, high: 73 };

/** RFC 5424 severity (and journald PRIORITY) per level: high is crit, medium warning, low notice. */
export const SYSLOG_SEVERITY: Readonly<Record<EventLevel, number>> = { info: 6, low: 5, medium: 4, high: 2 };

/** `log.level`: the syslog keyword of the same severity. */
export const LOG_LEVEL: Readonly<Record<EventLevel, string>> = {
  info: 'info',
  low: 'notice',
  medium: 'warning',
  high: 'crit',
};

export interface EventProcess {
  pid: number;
  /** ISO 8601, the process's start time as the engine keeps it. */
  start?: string;
  name?: string;
  executable?: string;
  command_line?: string;
  hash?: { sha256: string };
}

/** One event. Optional parts are absent (never null) when they do not apply. */
export interface IdlewatchEvent {
  '@timestamp': string;
  ecs: { version: string };
  event: {
    kind: 'alert' | 'event';
    category: string[];
    type: string[];
    action: EventAction;
    severity: number;
    outcome?: 'success' | 'failure' | 'unknown';
    /** Random, unique per event (a SIEM can drop duplicates by it). */
    id: string;
    /** 1, 2, 3, ... per run of the feed: a gap means events were lost on the way. */
    sequence: number;
    module: 'idlewatch';
    dataset: 'idlewatch.events';
    reason?: string;
  };
  log: { level: string };
  /** One line in words; the attacker-controlled parts inside it are bounded like the fields. */
  message: string;
  host: { name: string };
  observer: { vendor: 'Idlewatch'; product: 'Idlewatch'; type: 'host-monitor'; version: string; hostname: string };
  process?: EventProcess;
  user?: { name: string };
  rule?: { name: string; ruleset: 'idlewatch' };
  idlewatch: IdlewatchFields;
}

export interface IdlewatchFields {
  schema_version: number;
  /** Our own level name (`event.severity` is its number). */
  severity: EventLevel;
  /** Set when a string was cut to keep the event within its size; the cut strings end in `…`. */
  truncated?: true;
  incident?: {
    /** `${pid}@${startTimeMs}`: the same key the window and the history file use. */
    id: string;
    severity: 'low' | 'medium' | 'high';
    previous_severity?: 'low' | 'medium' | 'high';
    score: number;
    first_at: string;
    last_at: string;
    idle_gpu_seconds: number;
    idle_cpu_seconds: number;
    rules: string[];
    reasons: { rule: string; detail: string }[];
    allowlisted_but?: string;
    close_reason?: 'process-exited' | 'reviewed' | 'allowlisted';
    /** The names the process had before it exec'd the program this incident names, oldest first. */
    was?: { name: string; executable?: string }[];
  };
  action?: { name: string; code?: string; detail: string };
  scan?: {
    result: 'completed' | 'cancelled' | 'failed';
    error?: string;
    duration_ms?: number;
    findings?: { high: number; medium: number; low: number; allowlisted: number };
    problems?: number;
  };
  source?: { id: string; label: string; health: string; previous_health: string; detail: string };
  allowlist?: {
    change: 'added' | 'removed' | 'changed';
    entries: number;
    added?: number;
    removed?: number;
    entry?: { id: string; executable: string; sha256?: string; args?: string; reason?: string };
  };
  process?: { command_line_length?: number };
}
