import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionEvent, type EventStamp, incidentEvent } from '../main/engine/events/build.js';
import { type IdlewatchEvent, SYSLOG_SEVERITY } from '../main/engine/events/schema.js';
import { journaldSink, journalMessageId } from '../main/engine/events/sinks/journald-sink.js';
import { syslogFormatFor, syslogSink } from '../main/engine/events/sinks/syslog-sink.js';
import type { Incident } from '../shared/detection.js';
import { PrivateJournald, privateJournaldUnavailable } from './helpers/journald.js';
import { waitFor } from './helpers/processes.js';

const unavailable = privateJournaldUnavailable();
let seq = 0;
const stamp = (): EventStamp => ({
  at: Date.now(),
  id: `j${++seq}`,
  sequence: seq,
  hostName: 'ws-9',
  version: '0.1.0',
});

function incident(name: string): Incident {
  const t = Date.now() - 60_000;
  return {
    pid: 5151,
    startT: t - 1000,
    name,
    exe: `/var/tmp/${name}`,
    cmdline: `${name} -o stratum+tcp://pool:3333`,
    user: 'cy',
    severity: 'high',
    score: 0.9,
    firstAt: t,
    lastAt: t + 30_000,
    reasons: [{ rule: 'miner-signature', detail: 'a mining pool address (stratum://)' }],
    idleGpuSec: 12,
    idleCpuSec: 0,
    allowlisted: false,
  };
}

describe.skipIf(unavailable !== null)(
  `journald sink → a real systemd-journald in a private mount namespace${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'iw-journald-'));
    const jd = new PrivateJournald(dir);
    beforeAll(() => jd.start(), 30_000);
    afterAll(async () => {
      await jd.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes one entry per event: MESSAGE is the JSON, the journal fields and IDLEWATCH_* fields are set, hostile text only inside MESSAGE', {
      timeout: 60_000,
    }, async () => {
      const problems: string[] = [];
      const sink = journaldSink({
        facility: 'local5',
        logger: jd.logger,
        socket: jd.socket,
        onProblem: (m) => problems.push(m),
      });
      const hostile = 'x\nIDLEWATCH_EVENT_ACTION=forged\nPRIORITY=7\u0000\u001b[2J';
      const events: IdlewatchEvent[] = [
        incidentEvent(stamp(), incident(hostile), { kind: 'opened' }, 'ab'.repeat(32)),
        actionEvent(
          stamp(),
          {
            type: 'action',
            action: 'kill',
            process: { pid: 5151, startTimeMs: 1, name: hostile, exe: null, cmdline: null, user: null },
            ok: false,
            code: 'permission',
            detail: 'another user',
          },
          null,
        ),
      ];
      for (const e of events) sink.write(e);
      await sink.flush();
      expect(problems).toEqual([]);
      expect(sink.stats()).toEqual({ written: 2, dropped: 0, lastError: null });

      await waitFor(() => jd.entries(['SYSLOG_IDENTIFIER=idlewatch']).length >= 2, 20_000, 'two journal entries');
      const got = jd.entries(['SYSLOG_IDENTIFIER=idlewatch']);
      expect(got).toHaveLength(2);
      got.forEach((entry, i) => {
        const sent = events[i] as IdlewatchEvent;
        expect(JSON.parse(String(entry.MESSAGE))).toEqual(sent);
        expect(entry).toMatchObject({
          PRIORITY: String(SYSLOG_SEVERITY[sent.idlewatch.severity]),
          SYSLOG_FACILITY: '21',
          MESSAGE_ID: journalMessageId(sent.event.action),
          IDLEWATCH_SCHEMA_VERSION: '1',
          IDLEWATCH_EVENT_ID: sent.event.id,
          IDLEWATCH_EVENT_ACTION: sent.event.action,
          IDLEWATCH_EVENT_SEVERITY: String(sent.event.severity),
          IDLEWATCH_PROCESS_PID: '5151',
        });
      });
      expect(got[0]?.IDLEWATCH_RULE_NAME).toBe('miner-signature');
      expect(got[0]?.IDLEWATCH_INCIDENT_ID).toBe(events[0]?.idlewatch.incident?.id);
      // The forged field lines inside the name did not become fields.
      expect(jd.entries(['IDLEWATCH_EVENT_ACTION=forged'])).toEqual([]);
      // journalctl filters on our fields without parsing JSON.
      expect(jd.entries(['IDLEWATCH_EVENT_ACTION=process-kill'])).toHaveLength(1);
    });

    it("the syslog sink pointed at journald's /dev/log sends the local form, so the journal keeps the identifier and MESSAGE is the JSON", {
      timeout: 60_000,
    }, async () => {
      const devLog = jd.socket.replace(/socket$/, 'dev-log');
      expect(syslogFormatFor(devLog)).toBe('local');
      const sink = syslogSink({ socket: devLog, facility: 'local1' });
      expect(sink.description).toContain('journald');
      const e = incidentEvent(stamp(), incident('via-dev-log\nFORGED'), { kind: 'opened' }, null);
      sink.write(e);
      await sink.flush();
      expect(sink.stats()).toEqual({ written: 1, dropped: 0, lastError: null });
      const match = [`SYSLOG_PID=${process.pid}`, 'SYSLOG_IDENTIFIER=idlewatch', '_TRANSPORT=syslog'];
      await waitFor(() => jd.entries(match).length > 0, 20_000, 'the entry from /dev/log');
      const [entry] = jd.entries(match);
      expect(entry).toMatchObject({ SYSLOG_FACILITY: '17', PRIORITY: '2' });
      expect(JSON.parse(String(entry?.MESSAGE))).toEqual(e);
    });

    it('counts an event as dropped when journald is not there (libsystemd would call it a success)', {
      timeout: 30_000,
    }, async () => {
      const problems: string[] = [];
      const socket = jd.socket;
      const sink = journaldSink({ logger: jd.logger, socket, onProblem: (m) => problems.push(m) });
      await jd.stop();
      sink.write(incidentEvent(stamp(), incident('late'), { kind: 'opened' }, null));
      await sink.flush();
      expect(sink.stats()).toMatchObject({ written: 0, dropped: 1 });
      expect(problems).toEqual([`an event was dropped: journald: journald is not running here (no socket ${socket})`]);
    });
  },
);
