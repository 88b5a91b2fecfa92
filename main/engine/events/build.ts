/**
 * Pure functions from the engine's state changes to SIEM events (schema.ts). The feed (feed.ts)
 * decides when something happened; these say what it looks like.
 */
import type { AllowlistEntry } from '../../../shared/allowlist.js';
import type { Incident, Severity } from '../../../shared/detection.js';
import type { SourceStatus } from '../../../shared/engine-types.js';
import type { ScanState } from '../../../shared/ipc.js';
import type { ActionActivity } from '../service/activity.js';
import { bound, fitEvent, LIMITS, MAX_EVENT_BYTES } from './bound.js';
import {
  ECS_SEVERITY,
  ECS_VERSION,
  EVENT_SCHEMA_VERSION,
  type EventAction,
  type EventLevel,
  type EventProcess,
  type IdlewatchEvent,
  type IdlewatchFields,
  LOG_LEVEL,
} from './schema.js';

/** What every event carries besides its own facts. */
export interface EventStamp {
  /** Epoch ms of the event. */
  at: number;
  id: string;
  sequence: number;
  hostName: string;
  /** Idlewatch's version. */
  version: string;
}

interface Parts {
  action: EventAction;
  level: EventLevel;
  kind: 'alert' | 'event';
  category: string[];
  type: string[];
  outcome?: 'success' | 'failure' | 'unknown';
  reason?: string;
  message: string;
  process?: EventProcess;
  user?: string | null;
  rule?: string;
  fields?: Omit<IdlewatchFields, 'schema_version' | 'severity'>;
}

/** Assembles, bounds and fits one event. */
function compose(stamp: EventStamp, p: Parts): IdlewatchEvent {
  let cut = false;
  const b = (s: string, max: number): string => {
    const r = bound(s, max);
    cut ||= r.cut;
    return r.text;
  };
  const host = b(stamp.hostName, LIMITS.name);
  const doc: IdlewatchEvent = {
    '@timestamp': new Date(stamp.at).toISOString(),
    ecs: { version: ECS_VERSION },
    event: {
      kind: p.kind,
      category: p.category,
      type: p.type,
      action: p.action,
      severity: ECS_SEVERITY[p.level],
      ...(p.outcome ? { outcome: p.outcome } : {}),
      id: stamp.id,
      sequence: stamp.sequence,
      module: 'idlewatch',
      dataset: 'idlewatch.events',
      ...(p.reason !== undefined ? { reason: b(p.reason, LIMITS.detail) } : {}),
    },
    log: { level: LOG_LEVEL[p.level] },
    message: b(p.message, LIMITS.message),
    host: { name: host },
    observer: {
      vendor: 'Idlewatch',
      product: 'Idlewatch',
      type: 'host-monitor',
      version: stamp.version,
      hostname: host,
    },
    idlewatch: { schema_version: EVENT_SCHEMA_VERSION, severity: p.level, ...p.fields },
  };
  if (p.process) {
    const proc: EventProcess = { pid: p.process.pid };
    if (p.process.start !== undefined) proc.start = p.process.start;
    if (p.process.name !== undefined) proc.name = b(p.process.name, LIMITS.name);
    if (p.process.executable !== undefined) proc.executable = b(p.process.executable, LIMITS.executable);
    if (p.process.command_line !== undefined) {
      const full = p.process.command_line;
      proc.command_line = b(full, LIMITS.command_line);
      if (proc.command_line !== full) doc.idlewatch.process = { command_line_length: full.length };
    }
    if (p.process.hash) proc.hash = { sha256: p.process.hash.sha256 };
    doc.process = proc;
  }
  if (p.user) doc.user = { name: b(p.user, LIMITS.user) };
  if (p.rule) doc.rule = { name: p.rule, ruleset: 'idlewatch' };
  for (const r of doc.idlewatch.incident?.reasons ?? []) r.detail = b(r.detail, LIMITS.detail);
  const inc = doc.idlewatch.incident;
  if (inc?.allowlisted_but !== undefined) inc.allowlisted_but = b(inc.allowlisted_but, LIMITS.detail);
  for (const w of inc?.was ?? []) {
    w.name = b(w.name, LIMITS.name);
    if (w.executable !== undefined) w.executable = b(w.executable, LIMITS.executable);
  }
  const src = doc.idlewatch.source;
  if (src) {
    src.label = b(src.label, LIMITS.name);
    src.detail = b(src.detail, LIMITS.detail);
  }
  const entry = doc.idlewatch.allowlist?.entry;
  if (entry) {
    entry.executable = b(entry.executable, LIMITS.executable);
    if (entry.args !== undefined) entry.args = b(entry.args, LIMITS.detail);
    if (entry.reason !== undefined) entry.reason = b(entry.reason, LIMITS.detail);
  }
  if (doc.idlewatch.action) doc.idlewatch.action.detail = b(doc.idlewatch.action.detail, LIMITS.detail);
  if (doc.idlewatch.scan?.error !== undefined) doc.idlewatch.scan.error = b(doc.idlewatch.scan.error, LIMITS.detail);
  if (fitEvent(doc as unknown as Record<string, unknown>, MAX_EVENT_BYTES)) cut = true;
  if (cut) doc.idlewatch.truncated = true;
  return doc;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** A name for the message line: short, whatever the process calls itself. */
const shortName = (s: string): string => bound(s, 64).text;

function incidentProcess(i: Incident, sha256: string | null): EventProcess {
  const p: EventProcess = { pid: i.pid, start: iso(i.startT), name: i.name, command_line: i.cmdline };
  if (i.exe !== null) p.executable = i.exe;
  if (sha256) p.hash = { sha256 };
  return p;
}

function incidentFields(
  i: Incident,
  extra: { previous?: Severity; closeReason?: 'process-exited' | 'reviewed' | 'allowlisted' },
): Omit<IdlewatchFields, 'schema_version' | 'severity'> {
  const reasons = i.reasons.slice(0, LIMITS.reasons).map((r) => ({ rule: r.rule, detail: r.detail }));
  return {
    incident: {
      id: `${i.pid}@${i.startT}`,
      severity: i.severity,
      ...(extra.previous ? { previous_severity: extra.previous } : {}),
      score: Math.round(i.score * 1000) / 1000,
      first_at: iso(i.firstAt),
      last_at: iso(i.lastAt),
      idle_gpu_seconds: Math.round(i.idleGpuSec * 10) / 10,
      idle_cpu_seconds: Math.round(i.idleCpuSec * 10) / 10,
      rules: [...new Set(i.reasons.map((r) => r.rule))],
      reasons,
      ...(i.allowlistedBut !== undefined ? { allowlisted_but: i.allowlistedBut } : {}),
      ...(extra.closeReason ? { close_reason: extra.closeReason } : {}),
      ...(i.was && i.was.length > 0
        ? {
            was: i.was
              .slice(-LIMITS.was)
              .map((w) => (w.exe !== null ? { name: w.name, executable: w.exe } : { name: w.name })),
          }
        : {}),
    },
  };
}

/** An incident opened (first raised) or raised (its severity went up). */
export function incidentEvent(
  stamp: EventStamp,
  i: Incident,
  change: { kind: 'opened' } | { kind: 'raised'; from: Severity | null },
  sha256: string | null,
): IdlewatchEvent {
  const top = i.reasons[0];
  const opened = change.kind === 'opened';
  const from = change.kind === 'raised' ? change.from : null;
  const what = opened
    ? `${i.severity} incident opened`
    : `incident raised to ${i.severity}${from ? ` from ${from}` : ''}`;
  return compose(stamp, {
    action: opened ? 'incident-opened' : 'incident-raised',
    level: i.severity,
    kind: 'alert',
    category: ['intrusion_detection', 'process'],
    type: opened ? ['info'] : ['change'],
    reason: top?.detail,
    message: `${what}: ${shortName(i.name)} (pid ${i.pid})${top ? `: ${bound(top.detail, 160).text}` : ''}`,
    process: incidentProcess(i, sha256),
    user: i.user,
    rule: top?.rule,
    fields: incidentFields(i, from ? { previous: from } : {}),
  });
}

/** An open incident closed: its process ended, or the user reviewed or allowlisted it. */
export function incidentClosedEvent(
  stamp: EventStamp,
  i: Incident,
  why: 'process-exited' | 'reviewed' | 'allowlisted',
  sha256: string | null,
): IdlewatchEvent {
  const words = { 'process-exited': 'its process ended', reviewed: 'marked reviewed', allowlisted: 'now allowlisted' };
  return compose(stamp, {
    action: 'incident-closed',
    level: 'info',
    kind: 'event',
    category: ['intrusion_detection', 'process'],
    type: ['end'],
    reason: words[why],
    message: `${i.severity} incident closed (${words[why]}): ${shortName(i.name)} (pid ${i.pid})`,
    process: incidentProcess(i, sha256),
    user: i.user,
    rule: i.reasons[0]?.rule,
    fields: incidentFields(i, { closeReason: why }),
  });
}

const ACTION_NAMES: Readonly<Record<string, EventAction>> = {
  kill: 'process-kill',
  pause: 'process-pause',
  resume: 'process-resume',
  quarantine: 'process-quarantine',
};

/** An action on a process: done, or refused (and why). */
export function actionEvent(stamp: EventStamp, a: ActionActivity, sha256: string | null): IdlewatchEvent {
  const p = a.process;
  const proc: EventProcess = { pid: p.pid, start: iso(p.startTimeMs) };
  if (p.name !== null) proc.name = p.name;
  if (p.exe !== null) proc.executable = p.exe;
  if (p.cmdline !== null) proc.command_line = p.cmdline;
  if (sha256) proc.hash = { sha256 };
  // A process that had already exited needs no one's attention; any other refusal does.
  const level: EventLevel = a.ok || a.code === 'gone' ? 'info' : 'medium';
  const who = `${p.name !== null ? shortName(p.name) : 'process'} (pid ${p.pid})`;
  return compose(stamp, {
    action: ACTION_NAMES[a.action] ?? 'process-action',
    level,
    kind: 'event',
    category: ['process'],
    type: a.action === 'kill' ? ['end'] : ['change'],
    outcome: a.ok ? 'success' : 'failure',
    reason: a.detail,
    message: a.ok ? `${a.action} ${who}: done` : `${a.action} ${who}: refused (${a.code ?? 'failed'})`,
    process: proc,
    user: p.user,
    fields: { action: { name: a.action, ...(a.code !== null ? { code: a.code } : {}), detail: a.detail } },
  });
}

/** A deep scan ended: completed (with its findings), cancelled or failed. */
export function scanEvent(stamp: EventStamp, s: ScanState): IdlewatchEvent {
  const report = s.report;
  const result: 'completed' | 'cancelled' | 'failed' =
    s.error === null ? 'completed' : s.error === 'cancelled' ? 'cancelled' : 'failed';
  const sum = result === 'completed' && report ? report.summary : null;
  const level: EventLevel = sum
    ? sum.high > 0
      ? 'high'
      : sum.medium > 0
        ? 'medium'
        : sum.low > 0
          ? 'low'
          : 'info'
    : result === 'failed'
      ? 'low'
      : 'info';
  const found = sum ? `${sum.high} high, ${sum.medium} medium, ${sum.low} low findings` : '';
  return compose(stamp, {
    action: 'scan-finished',
    level,
    kind: 'event',
    category: ['host', 'malware'],
    type: ['info'],
    outcome: result === 'completed' ? 'success' : result === 'failed' ? 'failure' : 'unknown',
    message:
      result === 'completed'
        ? `deep scan completed: ${found}`
        : result === 'cancelled'
          ? 'deep scan cancelled'
          : `deep scan failed: ${bound(s.error ?? '', 200).text}`,
    fields: {
      scan: {
        result,
        ...(result === 'failed' && s.error !== null ? { error: s.error } : {}),
        ...(sum && report
          ? {
              duration_ms: report.durationMs,
              findings: { high: sum.high, medium: sum.medium, low: sum.low, allowlisted: sum.allowlisted },
              problems: report.problems.length,
            }
          : {}),
      },
    },
  });
}

/** A data source stopped working (down) or works again (up). */
export function sourceEvent(stamp: EventStamp, s: SourceStatus, previous: string): IdlewatchEvent {
  const up = s.health === 'ok';
  return compose(stamp, {
    action: up ? 'source-up' : 'source-down',
    level: up ? 'info' : 'medium',
    kind: 'event',
    category: ['host'],
    type: up ? ['start'] : ['error'],
    reason: s.detail,
    message: up ? `source ${s.id} works again` : `source ${s.id} is ${s.health}: ${bound(s.detail, 200).text}`,
    fields: { source: { id: s.id, label: s.label, health: s.health, previous_health: previous, detail: s.detail } },
  });
}

function entryFields(e: AllowlistEntry): NonNullable<NonNullable<IdlewatchFields['allowlist']>['entry']> {
  return {
    id: e.id,
    executable: e.exe,
    ...(e.sha256 !== null ? { sha256: e.sha256 } : {}),
    ...(e.args !== null ? { args: `${e.args.kind}:${e.args.pattern}` } : {}),
    ...(e.reason !== '' ? { reason: e.reason } : {}),
  };
}

/**
 * The allowlist changed: one entry added or removed (the usual case, from the window), or
 * several at once (an import), told as counts.
 */
export function allowlistEvent(
  stamp: EventStamp,
  change: { added: AllowlistEntry[]; removed: AllowlistEntry[]; total: number },
): IdlewatchEvent {
  const { added, removed, total } = change;
  const single = added.length + removed.length === 1 ? (added[0] ?? removed[0]) : undefined;
  if (single) {
    const isAdd = added.length === 1;
    return compose(stamp, {
      action: isAdd ? 'allowlist-entry-added' : 'allowlist-entry-removed',
      // Trusting a program silences its alerts: worth a look; removing trust is not.
      level: isAdd ? 'low' : 'info',
      kind: 'event',
      category: ['configuration'],
      type: isAdd ? ['creation'] : ['deletion'],
      message: `allowlist entry ${isAdd ? 'added' : 'removed'}: ${bound(single.exe, 200).text}`,
      fields: { allowlist: { change: isAdd ? 'added' : 'removed', entries: total, entry: entryFields(single) } },
    });
  }
  return compose(stamp, {
    action: 'allowlist-changed',
    level: added.length > 0 ? 'low' : 'info',
    kind: 'event',
    category: ['configuration'],
    type: ['change'],
    message: `allowlist changed: ${added.length} entries added, ${removed.length} removed, ${total} in all`,
    fields: { allowlist: { change: 'changed', entries: total, added: added.length, removed: removed.length } },
  });
}
