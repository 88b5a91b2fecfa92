import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLine } from '../main/engine/events/bound.js';
import { actionEvent, type EventStamp, incidentEvent, sourceEvent } from '../main/engine/events/build.js';
import { type EventLevel, type IdlewatchEvent, LOG_LEVEL } from '../main/engine/events/schema.js';
import { syslogSink } from '../main/engine/events/sinks/syslog-sink.js';
import type { Incident } from '../shared/detection.js';
import { findRsyslogd, TestRsyslog } from './helpers/rsyslog.js';
import { waitFor } from './helpers/processes.js';

const rsyslogd = findRsyslogd();
let seq = 0;
const stamp = (): EventStamp => ({
  at: Date.now(),
  id: `e${++seq}`,
  sequence: seq,
  hostName: 'ws-7',
  version: '0.1.0',
});

function incident(name: string, severity: Incident['severity'], cmdline = name): Incident {
  const t = Date.now() - 60_000;
  return {
    pid: 3000 + seq,
    startT: t - 1000,
    name,
    exe: `/home/bo/.cache/${name}`,
    cmdline,
    user: 'bo',
    severity,
    score: 0.8,
    firstAt: t,
    lastAt: t + 30_000,
    reasons: [{ rule: 'cpu-while-idle', detail: `CPU 99% for 30 s while idle; ${name}` }],
    idleGpuSec: 0,
    idleCpuSec: 29.7,
    allowlisted: false,
  };
}

/** rsyslog's names for the RFC 5424 severities our levels map to. */
const RSYSLOG_SEVERITY: Record<EventLevel, string> = { info: 'info', low: 'notice', medium: 'warning', high: 'crit' };

describe.skipIf(rsyslogd === null)('syslog sink → a real rsyslogd on a private socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-rsyslog-'));
  const rs = new TestRsyslog(rsyslogd ?? '', dir);
  beforeAll(() => rs.start(), 30_000);
  afterAll(async () => {
    await rs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every event as RFC 5424 with the facility, the mapped severity, MSGID = event.action, SD "-", and the JSON intact, hostile names included', {
    timeout: 60_000,
  }, async () => {
    const problems: string[] = [];
    const sink = syslogSink({ socket: rs.socket, facility: 'local3', onProblem: (m) => problems.push(m) });
    expect(sink.description).toBe(`syslog (${rs.socket}, facility local3)`);
    const hostile = [
      'evil\n<13>1 2026-01-01T00:00:00Z forged sshd - - - Accepted password for root',
      'cr\rlf\r\nnul\u0000',
      'ansi\u001b[31mred\u001b]0;pwned\u0007',
      'del\u007f c1\u0085 ls\u2028ps\u2029',
      'lone\ud800surrogate',
      'tab\there',
      `long ${'Z'.repeat(40_000)}`,
    ];
    const proc = {
      pid: 99,
      startTimeMs: Date.now() - 5000,
      name: 'xmrig',
      exe: '/tmp/xmrig',
      cmdline: 'xmrig',
      user: 'bo',
    };
    const events: IdlewatchEvent[] = [
      incidentEvent(stamp(), incident('nvhelper', 'high'), { kind: 'opened' }, 'ab'.repeat(32)),
      ...hostile.map((h) =>
        incidentEvent(stamp(), incident(h, 'medium', `${h} --url stratum+tcp://${h}`), { kind: 'opened' }, null),
      ),
      incidentEvent(stamp(), incident('nvhelper', 'high'), { kind: 'raised', from: 'medium' }, null),
      actionEvent(
        stamp(),
        { type: 'action', action: 'kill', process: proc, ok: true, code: null, detail: 'killed' },
        null,
      ),
      sourceEvent(stamp(), { id: 'idle.x11', label: 'X11', health: 'degraded', detail: 'lost :0' }, 'ok'),
      incidentEvent(stamp(), incident('low-one', 'low'), { kind: 'opened' }, null),
    ];
    for (const e of events) sink.write(e);
    await sink.flush();
    expect(problems).toEqual([]);
    expect(sink.stats()).toEqual({ written: events.length, dropped: 0, lastError: null });

    await waitFor(() => rs.lines().length >= events.length, 20_000, `${events.length} lines from rsyslogd`);
    await new Promise((r) => setTimeout(r, 300)); // and no more than that
    const got = rs.lines();
    // One received message per event: no name or command line split a frame or forged another.
    expect(got).toHaveLength(events.length);
    got.forEach((line, i) => {
      const sent = events[i] as IdlewatchEvent;
      expect(line.facility).toBe('local3');
      expect(line.severity).toBe(RSYSLOG_SEVERITY[sent.idlewatch.severity]);
      expect(LOG_LEVEL[sent.idlewatch.severity]).toBe(sent.log.level);
      expect(line.msgid).toBe(sent.event.action);
      expect(line.appName).toBe('idlewatch');
      expect(line.procid).toBe(String(process.pid));
      expect(line.structuredData).toBe('-');
      // rsyslog passed it through unescaped (printable ASCII), and it parses back to the event.
      expect(line.msg).toBe(eventLine(sent));
      expect(JSON.parse(line.msg)).toEqual(sent);
    });
    const names = got.map((l) => (JSON.parse(l.msg) as IdlewatchEvent).process?.name);
    expect(names.slice(1, 7)).toEqual(hostile.slice(0, 6));
    expect((JSON.parse(got[7]?.msg ?? '{}') as IdlewatchEvent).idlewatch.truncated).toBe(true);
  });

  it('counts and reports events the receiver could not take, and delivers again once it is back', {
    timeout: 60_000,
  }, async () => {
    const problems: string[] = [];
    const sink = syslogSink({ socket: rs.socket, facility: 'daemon', onProblem: (m) => problems.push(m) });
    const before = rs.lines().length;
    await rs.stop();
    sink.write(sourceEvent(stamp(), { id: 'cpu', label: 'CPU', health: 'degraded', detail: 'x' }, 'ok'));
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 0, dropped: 1 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/an event was dropped: syslog \(.*log\.sock, facility daemon\): .*log\.sock/);

    await rs.start();
    const back = sourceEvent(stamp(), { id: 'cpu', label: 'CPU', health: 'ok', detail: 'x' }, 'degraded');
    sink.write(back);
    await sink.flush();
    expect(sink.stats()).toMatchObject({ written: 1, dropped: 1 });
    await waitFor(() => rs.lines().length > before, 20_000, 'the event after the restart');
    const last = rs.lines().at(-1);
    expect(last?.facility).toBe('daemon');
    expect(last?.msgid).toBe('source-up');
    expect(JSON.parse(last?.msg ?? '{}')).toEqual(back);
  });
});
