import { describe, expect, it } from 'vitest';
import { bound, CUT_MARK, eventLine, fitEvent, LIMITS, MAX_EVENT_BYTES } from '../main/engine/events/bound.js';
import {
  actionEvent,
  allowlistEvent,
  type EventStamp,
  incidentClosedEvent,
  incidentEvent,
  scanEvent,
  sourceEvent,
} from '../main/engine/events/build.js';
import { EventFeed } from '../main/engine/events/feed.js';
import { EVENT_ACTIONS, EVENT_SCHEMA_VERSION, type IdlewatchEvent } from '../main/engine/events/schema.js';
import { journalEntry, journalMessageId } from '../main/engine/events/sinks/journald-sink.js';
import { priority } from '../main/engine/events/sinks/syslog-priority.js';
import { StreamSink } from '../main/engine/events/sinks/stdout-sink.js';
import { syslogLine } from '../main/engine/events/sinks/syslog-sink.js';
import type { AllowlistEntry } from '../shared/allowlist.js';
import type { Incident } from '../shared/detection.js';
import type { IncidentView, ScanState } from '../shared/ipc.js';
import { emptyScanReport } from './helpers/scan-report.js';

const stamp = (sequence = 1): EventStamp => ({
  at: Date.UTC(2026, 11, 7, 20, 0, 0),
  id: `id-${sequence}`,
  sequence,
  hostName: 'ws-042',
  version: '0.1.0',
});

function incident(over: Partial<Incident> = {}): Incident {
  const t = Date.UTC(2026, 11, 7, 19, 0, 0);
  return {
    pid: 4242,
    startT: t - 60_000,
    name: 'nvhelper',
    exe: '/home/ana/.cache/.nv/nvhelper',
    cmdline: '/home/ana/.cache/.nv/nvhelper --url stratum+tcp://pool.example:3333',
    user: 'ana',
    severity: 'high',
    score: 0.9412,
    firstAt: t,
    lastAt: t + 600_000,
    reasons: [
      { rule: 'miner-signature', detail: 'a mining pool address (stratum://)' },
      { rule: 'cpu-while-idle', detail: 'CPU 98% for 40 s while idle 75 s' },
    ],
    idleGpuSec: 0,
    idleCpuSec: 39.2,
    allowlisted: false,
    ...over,
  };
}

function view(i: Incident, over: Partial<IncidentView> = {}): IncidentView {
  return {
    ...i,
    key: `${i.pid}@${i.startT}`,
    reviewed: false,
    live: true,
    running: true,
    paused: false,
    ...over,
  };
}

/** Process names and command lines a hostile program can give itself. */
const HOSTILE = [
  'evil\nFAKE: <13>1 2026-01-01T00:00:00Z host sshd - - - accepted',
  'cr\rlf\r\n',
  'nul\u0000byte',
  'ansi\u001b[31mred\u001b[0m\u001b]0;title\u0007',
  'del\u007f c1\u0085\u009b',
  'line\u2028sep\u2029para',
  'lone \ud800 surrogate \udfff',
  'emoji 😀 and ümlaut',
  `long ${'A'.repeat(100_000)}`,
  `escapes ${'\u0001'.repeat(5000)}`,
];

describe('SIEM event schema', () => {
  it('an opened incident has the ECS fields, the incident in idlewatch.*, and the schema version', () => {
    const e = incidentEvent(stamp(), incident(), { kind: 'opened' }, 'ab'.repeat(32));
    expect(e).toMatchObject({
      '@timestamp': '2026-12-07T20:00:00.000Z',
      ecs: { version: expect.any(String) },
      event: {
        kind: 'alert',
        category: ['intrusion_detection', 'process'],
        action: 'incident-opened',
        severity: 73,
        id: 'id-1',
        sequence: 1,
        module: 'idlewatch',
      },
      log: { level: 'crit' },
      host: { name: 'ws-042' },
      observer: { vendor: 'Idlewatch', product: 'Idlewatch', version: '0.1.0', hostname: 'ws-042' },
      process: {
        pid: 4242,
        name: 'nvhelper',
        executable: '/home/ana/.cache/.nv/nvhelper',
        command_line: '/home/ana/.cache/.nv/nvhelper --url stratum+tcp://pool.example:3333',
        start: '2026-12-07T18:59:00.000Z',
        hash: { sha256: 'ab'.repeat(32) },
      },
      user: { name: 'ana' },
      rule: { name: 'miner-signature', ruleset: 'idlewatch' },
      idlewatch: {
        schema_version: EVENT_SCHEMA_VERSION,
        severity: 'high',
        incident: {
          id: `4242@${incident().startT}`,
          severity: 'high',
          score: 0.941,
          idle_cpu_seconds: 39.2,
          rules: ['miner-signature', 'cpu-while-idle'],
          first_at: '2026-12-07T19:00:00.000Z',
        },
      },
    });
    expect(e.message).toBe('high incident opened: nvhelper (pid 4242): a mining pool address (stratum://)');
    expect(e.idlewatch.truncated).toBeUndefined();
    expect(JSON.parse(eventLine(e))).toEqual(e);
  });

  it('raised names the severity it came from; closed says why; unknown values are absent, never null', () => {
    const raised = incidentEvent(
      stamp(2),
      incident({ exe: null, user: null }),
      { kind: 'raised', from: 'medium' },
      null,
    );
    expect(raised.event).toMatchObject({ action: 'incident-raised', type: ['change'], severity: 73 });
    expect(raised.idlewatch.incident?.previous_severity).toBe('medium');
    expect(raised.process?.executable).toBeUndefined();
    expect(raised.process?.hash).toBeUndefined();
    expect(raised.user).toBeUndefined();
    expect(eventLine(raised)).not.toContain('null');

    const closed = incidentClosedEvent(stamp(3), incident(), 'process-exited', null);
    expect(closed.event).toMatchObject({ kind: 'event', action: 'incident-closed', type: ['end'], severity: 0 });
    expect(closed.idlewatch.incident?.close_reason).toBe('process-exited');
    expect(closed.log.level).toBe('info');
  });

  it('actions, scans, sources and the allowlist each have their action, outcome and severity', () => {
    const proc = { pid: 7, startTimeMs: 1_000, name: 'xmrig', exe: '/tmp/xmrig', cmdline: 'xmrig -o x', user: 'bo' };
    const done = actionEvent(
      stamp(),
      { type: 'action', action: 'kill', process: proc, ok: true, code: null, detail: 'ended' },
      null,
    );
    expect(done.event).toMatchObject({ action: 'process-kill', outcome: 'success', type: ['end'], severity: 0 });
    const refused = actionEvent(
      stamp(),
      { type: 'action', action: 'pause', process: proc, ok: false, code: 'permission', detail: 'not yours' },
      null,
    );
    expect(refused.event).toMatchObject({ action: 'process-pause', outcome: 'failure', severity: 47 });
    expect(refused.idlewatch.action).toEqual({ name: 'pause', code: 'permission', detail: 'not yours' });
    const quarantine = actionEvent(
      stamp(),
      { type: 'action', action: 'quarantine', process: proc, ok: true, code: null, detail: 'moved' },
      null,
    );
    expect(quarantine.event.action).toBe('process-quarantine');

    const report = { ...emptyScanReport(), summary: { high: 0, medium: 2, low: 1, allowlisted: 0 } };
    const state = (error: string | null): ScanState => ({
      running: false,
      progress: null,
      report,
      finishedAt: 1,
      error,
    });
    expect(scanEvent(stamp(), state(null))).toMatchObject({
      event: { action: 'scan-finished', outcome: 'success', severity: 47 },
      idlewatch: { scan: { result: 'completed', findings: { high: 0, medium: 2, low: 1, allowlisted: 0 } } },
    });
    expect(scanEvent(stamp(), state('cancelled'))).toMatchObject({
      event: { outcome: 'unknown' },
      idlewatch: { scan: { result: 'cancelled' } },
    });
    expect(scanEvent(stamp(), state('worker died'))).toMatchObject({
      event: { outcome: 'failure' },
      idlewatch: { scan: { result: 'failed', error: 'worker died' } },
    });

    const down = sourceEvent(
      stamp(),
      { id: 'idle.x11', label: 'X11', health: 'degraded', detail: 'lost the X server' },
      'ok',
    );
    expect(down).toMatchObject({
      event: { action: 'source-down', type: ['error'], severity: 47 },
      idlewatch: { source: { previous_health: 'ok' } },
    });
    const up = sourceEvent(stamp(), { id: 'idle.x11', label: 'X11', health: 'ok', detail: 'display :0' }, 'degraded');
    expect(up.event.action).toBe('source-up');

    const entry: AllowlistEntry = {
      id: 'e1',
      exe: '/opt/render/farm',
      sha256: 'cd'.repeat(32),
      args: { kind: 'glob', pattern: '--job *' },
      reason: 'render farm',
      note: '',
      addedAt: 1,
    };
    expect(allowlistEvent(stamp(), { added: [entry], removed: [], total: 3 })).toMatchObject({
      event: { action: 'allowlist-entry-added', category: ['configuration'], type: ['creation'], severity: 21 },
      idlewatch: {
        allowlist: {
          change: 'added',
          entries: 3,
          entry: {
            id: 'e1',
            executable: '/opt/render/farm',
            sha256: 'cd'.repeat(32),
            args: 'glob:--job *',
            reason: 'render farm',
          },
        },
      },
    });
    expect(allowlistEvent(stamp(), { added: [], removed: [entry], total: 2 }).event.action).toBe(
      'allowlist-entry-removed',
    );
    expect(allowlistEvent(stamp(), { added: [entry, { ...entry, id: 'e2' }], removed: [], total: 5 })).toMatchObject({
      event: { action: 'allowlist-changed' },
      idlewatch: { allowlist: { change: 'changed', added: 2, removed: 0, entries: 5 } },
    });
  });

  it('hostile process names and command lines stay inside JSON: one line of printable ASCII, read back exactly', () => {
    for (const text of HOSTILE) {
      const i = incident({ name: text, exe: `/tmp/${text}`, cmdline: `${text} ${text}`, user: text });
      i.reasons = [{ rule: 'miner-signature', detail: text }];
      const e = incidentEvent(stamp(), i, { kind: 'opened' }, null);
      const line = eventLine(e);
      expect(line, JSON.stringify(text.slice(0, 40))).toMatch(/^[\x20-\x7e]+$/);
      expect(line.length).toBeLessThanOrEqual(MAX_EVENT_BYTES);
      const back = JSON.parse(line) as IdlewatchEvent;
      expect(back).toEqual(e);
      // Uncut strings come back exactly; cut ones are a prefix of the original, marked.
      const name = back.process?.name ?? '';
      if (e.idlewatch.truncated)
        expect(name === text || (name.endsWith(CUT_MARK) && text.startsWith(name.slice(0, -1)))).toBe(true);
      else expect(name).toBe(text);
      // In a syslog line and a journal entry too, nothing of it can start another line.
      expect(syslogLine(e, 'local3').slice(0, -1)).not.toMatch(/[^\x20-\x7e]/);
      expect(
        journalEntry(e, 'local3')
          .split('\n')
          .filter(Boolean)
          .every((l) => /^[A-Z_]+=[\x20-\x7e]*$/.test(l)),
      ).toBe(true);
    }
  });

  it('a huge command line is cut to its limit and the whole event to MAX_EVENT_BYTES, and says so', () => {
    const huge = `/usr/bin/python3 -c ${'x'.repeat(50_000)}`;
    const e = incidentEvent(stamp(), incident({ cmdline: huge }), { kind: 'opened' }, null);
    expect(e.idlewatch.truncated).toBe(true);
    expect(e.idlewatch.process?.command_line_length).toBe(huge.length);
    expect(e.process?.command_line?.endsWith(CUT_MARK)).toBe(true);
    expect(Array.from(e.process?.command_line ?? '').length).toBeLessThanOrEqual(LIMITS.command_line);
    expect(eventLine(e).length).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    // Control characters take six bytes each escaped: the size bound, not the length bound, cuts them.
    const ctl = incidentEvent(
      stamp(),
      incident({ cmdline: '\u0007'.repeat(2000), name: '\u0007'.repeat(200) }),
      { kind: 'opened' },
      null,
    );
    expect(eventLine(ctl).length).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(ctl.event.action).toBe('incident-opened');
    expect(ctl['@timestamp']).toBe('2026-12-07T20:00:00.000Z');
  });

  it('bound() never splits a surrogate pair and leaves short strings alone', () => {
    expect(bound('short', 10)).toEqual({ text: 'short', cut: false });
    expect(bound('😀'.repeat(10), 10)).toEqual({ text: '😀'.repeat(10), cut: false });
    const cut = bound('😀'.repeat(20), 10);
    expect(cut.cut).toBe(true);
    expect(cut.text).toBe(`${'😀'.repeat(9)}${CUT_MARK}`);
    const doc = { a: 'x'.repeat(3000), b: { c: 'y'.repeat(3000) }, id: 'keep' };
    expect(fitEvent(doc, 1000)).toBe(true);
    expect(eventLine(doc).length).toBeLessThanOrEqual(1000);
    expect(doc.id).toBe('keep');
  });

  it('every action fits an RFC 5424 MSGID and has its own journal MESSAGE_ID; PRI is facility × 8 + severity', () => {
    const ids = new Set<string>();
    for (const a of EVENT_ACTIONS) {
      expect(a).toMatch(/^[\x21-\x7e]{1,32}$/);
      const id = journalMessageId(a);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(EVENT_ACTIONS.length);
    expect(priority('local0', 'high')).toBe(16 * 8 + 2);
    expect(priority('daemon', 'info')).toBe(3 * 8 + 6);
    expect(priority('authpriv', 'medium')).toBe(10 * 8 + 4);
  });
});

describe('EventFeed: state changes to events', () => {
  function feed() {
    let t = 1_000_000;
    const f = new EventFeed({ version: '0.1.0', hostName: 'ws-1', now: () => (t += 1000) });
    const got: IdlewatchEvent[] = [];
    f.on((e) => got.push(e));
    return { f, got };
  }

  it('opens an incident once, raises it only when its severity goes up, closes it once', async () => {
    const { f, got } = feed();
    const low = view(incident({ severity: 'low' }));
    f.incidentChanged(low, 'raised');
    f.incidentChanged(low, 'updated');
    f.incidentChanged(view(incident({ severity: 'medium' })), 'escalated');
    f.incidentChanged(view(incident({ severity: 'medium' })), 'raised'); // a restarted monitor raising it again
    f.incidentChanged(view(incident({ severity: 'low' })), 'raised'); // and again, lower: nothing to tell
    f.incidentChanged(view(incident({ severity: 'medium' })), 'escalated'); // back to what was told: nothing
    f.incidentChanged(view(incident({ severity: 'high' })), 'escalated');
    f.incidentChanged(view(incident(), { running: false }), 'updated');
    f.incidentChanged(view(incident(), { running: false }), 'updated');
    await f.flush();
    expect(got.map((e) => e.event.action)).toEqual([
      'incident-opened',
      'incident-raised',
      'incident-raised',
      'incident-closed',
    ]);
    expect(got.map((e) => e.idlewatch.incident?.previous_severity)).toEqual([undefined, 'low', 'medium', undefined]);
    expect(got.map((e) => e.event.sequence)).toEqual([1, 2, 3, 4]);
    expect(got[3]?.idlewatch.incident?.close_reason).toBe('process-exited');
  });

  it('closes on review and on a new allowlist entry; an incident the allowlist silences is never sent', async () => {
    const { f, got } = feed();
    const a = incident({ pid: 1 });
    const b = incident({ pid: 2 });
    f.incidentChanged(view(a), 'raised');
    f.incidentChanged(view(b), 'raised');
    f.incidentChanged(view(a, { reviewed: true }), 'reviewed');
    f.incidentChanged(view(b, { allowlisted: true }), 'updated');
    f.incidentChanged(view(incident({ pid: 3, allowlisted: true }), { allowlisted: true }), 'raised');
    await f.flush();
    expect(got.map((e) => [e.event.action, e.process?.pid, e.idlewatch.incident?.close_reason])).toEqual([
      ['incident-opened', 1, undefined],
      ['incident-opened', 2, undefined],
      ['incident-closed', 1, 'reviewed'],
      ['incident-closed', 2, 'allowlisted'],
    ]);
  });

  it('tells source changes between working and not, not the first reading or degraded ↔ unavailable', async () => {
    const { f, got } = feed();
    const s = (health: 'ok' | 'degraded' | 'unavailable') => [
      { id: 'idle.x11', label: 'X11', health, detail: health },
      { id: 'gpu.nvidia', label: 'NVIDIA', health: 'unavailable' as const, detail: 'no nvidia-smi' },
    ];
    f.sourcesSeen(s('ok'));
    f.sourcesSeen(s('ok'));
    f.sourcesSeen(s('degraded'));
    f.sourcesSeen(s('unavailable'));
    f.sourcesSeen(s('ok'));
    await f.flush();
    expect(got.map((e) => [e.event.action, e.idlewatch.source?.id, e.idlewatch.source?.previous_health])).toEqual([
      ['source-down', 'idle.x11', 'ok'],
      ['source-up', 'idle.x11', 'unavailable'],
    ]);
  });

  it('tells a scan once when it ends, and allowlist changes against the baseline', async () => {
    const { f, got } = feed();
    const idle: ScanState = { running: false, progress: null, report: null, finishedAt: null, error: null };
    f.scanState(idle); // not running before: nothing ended
    f.scanState({ ...idle, running: true });
    f.scanState({ ...idle, running: true });
    f.scanState({ ...idle, report: emptyScanReport(), finishedAt: 5 });
    f.scanState({ ...idle, report: emptyScanReport(), finishedAt: 5 });
    const e1: AllowlistEntry = { id: 'e1', exe: '/a', sha256: null, args: null, reason: '', note: '', addedAt: 1 };
    const e2: AllowlistEntry = { ...e1, id: 'e2', exe: '/b' };
    f.allowlistBaseline([e1]);
    f.allowlistChanged([e1]);
    f.allowlistChanged([e1, e2]);
    f.allowlistChanged([e2]);
    await f.flush();
    expect(got.map((e) => e.event.action)).toEqual([
      'scan-finished',
      'allowlist-entry-added',
      'allowlist-entry-removed',
    ]);
    expect(got[1]?.idlewatch.allowlist?.entry?.executable).toBe('/b');
    expect(got[2]?.idlewatch.allowlist?.entry?.executable).toBe('/a');
  });

  it('waits for the executable hash a bounded time, and keeps the order of events whatever each waits for', async () => {
    let t = 0;
    const f = new EventFeed({
      version: '1',
      hostName: 'h',
      now: () => ++t,
      hashWaitMs: 200,
      // The first process's hash never comes; the second's comes at once.
      hashOf: (p) => (p.pid === 1 ? new Promise<string | null>(() => undefined) : Promise.resolve('ee'.repeat(32))),
    });
    const got: IdlewatchEvent[] = [];
    f.on((e) => got.push(e));
    f.incidentChanged(view(incident({ pid: 1 })), 'raised');
    f.incidentChanged(view(incident({ pid: 2 })), 'raised');
    await f.flush();
    expect(got.map((e) => [e.process?.pid, e.process?.hash?.sha256 ?? null])).toEqual([
      [1, null],
      [2, 'ee'.repeat(32)],
    ]);
  });
});

describe('stream sink', () => {
  it('writes whole lines to a real pipe, and counts and reports events once the reader is gone', async () => {
    const { spawn } = await import('node:child_process');
    // A reader that takes two lines, then exits: later writes meet a closed pipe (EPIPE).
    const reader = spawn('sh', ['-c', 'head -n 2'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let got = '';
    reader.stdout.on('data', (d: Buffer) => {
      got += d.toString();
    });
    const problems: string[] = [];
    const sink = new StreamSink(reader.stdin, { description: 'stdout', onProblem: (m) => problems.push(m) });
    const e = (n: number) => sourceEvent(stamp(n), { id: 's', label: 'S', health: 'ok', detail: `n${n}` }, 'degraded');
    sink.write(e(1));
    sink.write(e(2));
    await sink.flush();
    await new Promise((r) => reader.once('exit', r));
    for (let i = 3; i < 10; i++) {
      sink.write(e(i));
      await sink.flush();
    }
    expect(
      got
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as IdlewatchEvent).event.sequence),
    ).toEqual([1, 2]);
    expect(sink.stats().written).toBe(2);
    expect(sink.stats().dropped).toBe(7);
    expect(problems).toHaveLength(7);
    expect(problems[0]).toBe('an event was dropped: stdout: the reader closed the pipe');
  });
});
