/**
 * deploy/wazuh/ against events built by the real schema code. wazuh-logtest (the manager's own
 * rule tester) is not available here, so this test does what it can without it: parses both XML
 * files, runs the decoder's program-name and prematch on the lines a real rsyslogd writes to a
 * syslog file (what a Wazuh agent reads), flattens the JSON the way Wazuh's JSON decoder names
 * fields (nested keys joined by dots), and evaluates the rules' <field> conditions: every event
 * must land on exactly one rule, at the level its action and severity call for, and every field a
 * rule or a description names must exist in the events it matches.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLine } from '../main/engine/events/bound.js';
import {
  actionEvent,
  allowlistEvent,
  type EventStamp,
  incidentClosedEvent,
  incidentEvent,
  scanEvent,
  sourceEvent,
} from '../main/engine/events/build.js';
import { EVENT_ACTIONS, type IdlewatchEvent } from '../main/engine/events/schema.js';
import { syslogSink } from '../main/engine/events/sinks/syslog-sink.js';
import { parseXml, type XmlElement } from '../main/engine/platform/nvidia/xml-parse.js';
import type { AllowlistEntry } from '../shared/allowlist.js';
import type { Incident } from '../shared/detection.js';
import type { ScanState } from '../shared/ipc.js';
import { waitFor } from './helpers/processes.js';
import { findRsyslogd, TestRsyslog } from './helpers/rsyslog.js';
import { emptyScanReport } from './helpers/scan-report.js';

const DIR = join(import.meta.dirname, '..', 'deploy', 'wazuh');
const load = (file: string): XmlElement => parseXml(`<root>${readFileSync(join(DIR, file), 'utf8')}</root>`);
const child = (e: XmlElement, name: string): XmlElement[] => e.children.filter((c) => c.name === name);
const text = (e: XmlElement | undefined): string => (e?.text ?? '').trim();

interface Condition {
  name: string;
  pattern: string;
  negate: boolean;
}
interface Rule {
  id: string;
  level: number;
  ifSid: string[];
  decodedAs: string | null;
  fields: Condition[];
  description: string;
}

function rulesOf(root: XmlElement): Rule[] {
  return child(root, 'group').flatMap((g) =>
    child(g, 'rule').map((r) => ({
      id: r.attrs.id ?? '',
      level: Number(r.attrs.level),
      ifSid: text(child(r, 'if_sid')[0])
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      decodedAs: child(r, 'decoded_as')[0] ? text(child(r, 'decoded_as')[0]) : null,
      fields: child(r, 'field').map((f) => ({
        name: f.attrs.name ?? '',
        pattern: text(f),
        negate: f.attrs.negate === 'yes',
      })),
      description: text(child(r, 'description')[0]),
    })),
  );
}

/**
 * An OS_Regex of the kind these rules use (literal alternatives, anchored) as a JS RegExp. Only
 * letters, digits, '-', '^', '$' and '|' are allowed, where both syntaxes mean the same.
 */
function osRegex(pattern: string): RegExp {
  expect(pattern, `pattern ${pattern}`).toMatch(/^[A-Za-z0-9^$|-]+$/);
  return new RegExp(pattern);
}

/** Wazuh's JSON decoder names: nested objects joined by dots, values as strings. */
function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(v)) out[prefix] = v.map(String).join(',');
  else out[prefix] = String(v);
  return out;
}

function matches(rule: Rule, decodedAs: string, flat: Record<string, string>): boolean {
  if (rule.decodedAs !== null && rule.decodedAs !== decodedAs) return false;
  return rule.fields.every((f) => {
    const value = flat[f.name];
    if (value === undefined) return false;
    return osRegex(f.pattern).test(value) !== f.negate;
  });
}

/** The base rule and the one child rule an event lands on (fails unless there is exactly one of each). */
function evaluate(rules: Rule[], decodedAs: string, flat: Record<string, string>, what: string): Rule {
  const bases = rules.filter((r) => r.ifSid.length === 0 && matches(r, decodedAs, flat));
  expect(
    bases.map((r) => r.id),
    `${what}: base rule`,
  ).toHaveLength(1);
  const base = bases[0] as Rule;
  const children = rules.filter((r) => r.ifSid.includes(base.id) && matches(r, decodedAs, flat));
  expect(
    children.map((r) => r.id),
    `${what}: exactly one rule`,
  ).toHaveLength(1);
  return children[0] as Rule;
}

let seq = 0;
const stamp = (): EventStamp => ({
  at: Date.now(),
  id: `w${++seq}`,
  sequence: seq,
  hostName: 'lab-pc-17',
  version: '0.1.0',
});

function incident(severity: Incident['severity']): Incident {
  const t = Date.now() - 60_000;
  return {
    pid: 4321,
    startT: t - 1000,
    name: 'kworkerds',
    exe: '/tmp/.X11-unix/kworkerds',
    cmdline: '/tmp/.X11-unix/kworkerds -o stratum+tcp://pool:3333',
    user: 'student',
    severity,
    score: 0.9,
    firstAt: t,
    lastAt: t + 30_000,
    reasons: [{ rule: 'miner-signature', detail: 'a mining pool address (stratum://)' }],
    idleGpuSec: 0,
    idleCpuSec: 25,
    allowlisted: false,
  };
}

/** One event of every kind, with the rule level each should reach. */
function samples(): { what: string; event: IdlewatchEvent; level: number }[] {
  const proc = { pid: 4321, startTimeMs: 1, name: 'kworkerds', exe: '/tmp/k', cmdline: 'k', user: 'student' };
  const act = (action: string, ok: boolean) =>
    actionEvent(
      stamp(),
      { type: 'action', action, process: proc, ok, code: ok ? null : 'permission', detail: ok ? 'done' : 'denied' },
      null,
    );
  const scan = (summary: { high: number; medium: number; low: number }, error: string | null): ScanState => ({
    running: false,
    progress: null,
    report: emptyScanReport({ summary: { ...summary, allowlisted: 0 } }),
    finishedAt: 1,
    error,
  });
  const entry: AllowlistEntry = {
    id: 'a1',
    exe: '/opt/farm/render',
    sha256: null,
    args: null,
    reason: 'farm',
    note: '',
    addedAt: 1,
  };
  return [
    {
      what: 'high opened',
      event: incidentEvent(stamp(), incident('high'), { kind: 'opened' }, 'ab'.repeat(32)),
      level: 12,
    },
    {
      what: 'raised to high',
      event: incidentEvent(stamp(), incident('high'), { kind: 'raised', from: 'medium' }, null),
      level: 12,
    },
    { what: 'medium opened', event: incidentEvent(stamp(), incident('medium'), { kind: 'opened' }, null), level: 8 },
    { what: 'low opened', event: incidentEvent(stamp(), incident('low'), { kind: 'opened' }, null), level: 4 },
    { what: 'closed', event: incidentClosedEvent(stamp(), incident('high'), 'process-exited', null), level: 3 },
    { what: 'kill done', event: act('kill', true), level: 5 },
    { what: 'kill refused', event: act('kill', false), level: 8 },
    { what: 'pause done', event: act('pause', true), level: 5 },
    { what: 'resume done', event: act('resume', true), level: 5 },
    { what: 'quarantine done', event: act('quarantine', true), level: 5 },
    { what: 'scan high', event: scanEvent(stamp(), scan({ high: 2, medium: 1, low: 0 }, null)), level: 10 },
    { what: 'scan medium', event: scanEvent(stamp(), scan({ high: 0, medium: 1, low: 0 }, null)), level: 7 },
    { what: 'scan low', event: scanEvent(stamp(), scan({ high: 0, medium: 0, low: 3 }, null)), level: 3 },
    { what: 'scan clean', event: scanEvent(stamp(), scan({ high: 0, medium: 0, low: 0 }, null)), level: 3 },
    { what: 'scan cancelled', event: scanEvent(stamp(), scan({ high: 0, medium: 0, low: 0 }, 'cancelled')), level: 3 },
    { what: 'scan failed', event: scanEvent(stamp(), scan({ high: 0, medium: 0, low: 0 }, 'worker died')), level: 5 },
    {
      what: 'source down',
      event: sourceEvent(
        stamp(),
        { id: 'gpu.nvidia', label: 'NVIDIA', health: 'degraded', detail: 'nvidia-smi died' },
        'ok',
      ),
      level: 6,
    },
    {
      what: 'source up',
      event: sourceEvent(stamp(), { id: 'gpu.nvidia', label: 'NVIDIA', health: 'ok', detail: 'ok' }, 'degraded'),
      level: 3,
    },
    { what: 'allowlist added', event: allowlistEvent(stamp(), { added: [entry], removed: [], total: 1 }), level: 6 },
    { what: 'allowlist removed', event: allowlistEvent(stamp(), { added: [], removed: [entry], total: 0 }), level: 3 },
    {
      what: 'allowlist imported',
      event: allowlistEvent(stamp(), { added: [entry, { ...entry, id: 'a2' }], removed: [], total: 2 }),
      level: 5,
    },
  ];
}

describe('Wazuh decoder and rules (deploy/wazuh/)', () => {
  const decoders = load('idlewatch_decoders.xml');
  const rules = rulesOf(load('idlewatch_rules.xml'));

  it('parse, with unique ids in the local range, each child under a base rule that exists', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of rules) {
      expect(Number(r.id)).toBeGreaterThanOrEqual(100000);
      expect(Number(r.id)).toBeLessThan(120000);
      expect(r.level).toBeGreaterThanOrEqual(0);
      expect(r.level).toBeLessThanOrEqual(15);
      for (const p of r.ifSid) expect(ids).toContain(p);
    }
    const [parent, json] = child(decoders, 'decoder');
    expect(parent?.attrs.name).toBe('idlewatch');
    expect(text(child(json as XmlElement, 'parent')[0])).toBe('idlewatch');
    expect(text(child(json as XmlElement, 'plugin_decoder')[0])).toBe('JSON_Decoder');
  });

  it('every event lands on exactly one rule at the level its action and severity call for, from the JSON-lines file', () => {
    const covered = new Set<string>();
    for (const s of samples()) {
      const flat = flatten(JSON.parse(eventLine(s.event)));
      const rule = evaluate(rules, 'json', flat, s.what);
      expect(rule.level, `${s.what} → rule ${rule.id}`).toBe(s.level);
      covered.add(s.event.event.action);
      // Every $(field) its description shows is there.
      for (const m of rule.description.matchAll(/\$\(([^)]+)\)/g)) {
        expect(flat[m[1] as string], `${s.what}: rule ${rule.id} shows $(${m[1]})`).toBeDefined();
      }
    }
    // Every action the schema has reaches a rule (process-action is the catch-all of unknown actions).
    expect(EVENT_ACTIONS.filter((a) => !covered.has(a) && a !== 'process-action')).toEqual([]);
  });

  it('an event of another schema version is flagged for a rule update, not matched as version 1', () => {
    const e = JSON.parse(eventLine(incidentEvent(stamp(), incident('high'), { kind: 'opened' }, null)));
    e.idlewatch.schema_version = 2;
    expect(evaluate(rules, 'json', flatten(e), 'schema 2').id).toBe('100702');
  });

  it('every field the rules test exists in the events of the schema', () => {
    const names = new Set(samples().flatMap((s) => Object.keys(flatten(JSON.parse(eventLine(s.event))))));
    for (const r of rules) for (const f of r.fields) expect(names, `rule ${r.id}: ${f.name}`).toContain(f.name);
  });
});

const rsyslogd = findRsyslogd();

describe.skipIf(rsyslogd === null)(
  'Wazuh decoder on the file a real rsyslogd writes with deploy/rsyslog/idlewatch.conf',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'iw-wazuh-'));
    const eventsLog = join(dir, 'idlewatch-events.log');
    const snippet = readFileSync(join(import.meta.dirname, '..', 'deploy', 'rsyslog', 'idlewatch.conf'), 'utf8');
    expect(snippet).toContain('/var/log/idlewatch/events.log');
    const rs = new TestRsyslog(rsyslogd ?? '', dir, snippet.replace('/var/log/idlewatch/events.log', eventsLog));
    beforeAll(() => rs.start(), 30_000);
    afterAll(async () => {
      await rs.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the program name and prematch pick out our lines, RFC 5424 or local, and the JSON after them reaches the same rules', {
      timeout: 60_000,
    }, async () => {
      const decoders = load('idlewatch_decoders.xml');
      const [parent, json] = child(decoders, 'decoder') as [XmlElement, XmlElement];
      const programName = osRegex(text(child(parent, 'program_name')[0]));
      // OS_Match: '^' anchors, the rest is literal.
      const prematch = text(child(json, 'prematch')[0]);
      expect(prematch.startsWith('^')).toBe(true);
      const rules = rulesOf(load('idlewatch_rules.xml'));

      const all = samples();
      const half = Math.ceil(all.length / 2);
      const rfc = syslogSink({ socket: rs.socket, facility: 'local2', format: 'rfc5424' });
      for (const s of all.slice(0, half)) rfc.write(s.event);
      await rfc.flush();
      const local = syslogSink({ socket: rs.socket, facility: 'local2', format: 'local' });
      for (const s of all.slice(half)) local.write(s.event);
      await local.flush();
      expect(rfc.stats().dropped + local.stats().dropped).toBe(0);
      const read = () => (existsSync(eventsLog) ? readFileSync(eventsLog, 'utf8').split('\n').filter(Boolean) : []);
      await waitFor(() => read().length >= all.length, 20_000, 'the event lines');
      const lines = read();
      expect(lines).toHaveLength(all.length);
      // "stop" kept them out of the catch-all file.
      expect(rs.lines()).toEqual([]);
      lines.forEach((line, i) => {
        // What Wazuh's syslog pre-decoder takes apart: "Mmm dd hh:mm:ss host program[pid]: log".
        const m = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ ([^\s[:]+)\[(\d+)\]: (.*)$/.exec(line);
        expect(m, line.slice(0, 80)).not.toBeNull();
        const [, program, pid, log] = m as unknown as [string, string, string, string];
        expect(programName.test(program)).toBe(true);
        expect(pid).toBe(String(process.pid));
        expect(log.startsWith(prematch.slice(1))).toBe(true);
        const s = all[i] as (typeof all)[number];
        expect(JSON.parse(log)).toEqual(s.event);
        const rule = evaluate(rules, 'idlewatch', flatten(JSON.parse(log)), `${s.what} via syslog`);
        expect(rule.level, `${s.what} → rule ${rule.id}`).toBe(s.level);
      });
    });
  },
);
