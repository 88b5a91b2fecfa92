/**
 * `--events SPEC`: where the daemon sends its events. `syslog`, `journald`, `-` (stdout) or a
 * file path (JSON lines, rotated); a file literally named like a keyword is given as ./syslog.
 */
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { EngineService } from '../service/engine-service.js';
import { EventFeed } from './feed.js';
import { JOURNALD_SOCKET, journaldSink } from './sinks/journald-sink.js';
import { JsonlFileSink } from './sinks/jsonl-file-sink.js';
import type { EventSink, ProblemListener } from './sinks/sink.js';
import { StreamSink } from './sinks/stdout-sink.js';
import { DEFAULT_SYSLOG_SOCKET, syslogSink } from './sinks/syslog-sink.js';
import { type Facility, FACILITIES, isFacility } from './sinks/syslog-priority.js';

export type EventsSpec =
  | { kind: 'syslog' }
  | { kind: 'journald' }
  | { kind: 'stdout' }
  | { kind: 'file'; path: string };

export function parseEventsSpec(spec: string): EventsSpec {
  if (spec === 'syslog') return { kind: 'syslog' };
  if (spec === 'journald') return { kind: 'journald' };
  if (spec === '-') return { kind: 'stdout' };
  return { kind: 'file', path: resolve(spec) };
}

/** The facility named by `--syslog-facility`, or an error that lists the ones there are. */
export function parseFacility(name: string): Facility {
  if (isFacility(name)) return name;
  throw new Error(`unknown syslog facility "${name}" (one of ${Object.keys(FACILITIES).join(', ')})`);
}

export interface EventSinkSettings {
  /** syslog and journald. */
  facility?: Facility;
  /** syslog: the local socket; default /dev/log. */
  socket?: string;
  /** file: rotation size and rotated files kept. */
  maxBytes?: number;
  keep?: number;
  /** stdout: the stream (tests give their own). */
  out?: NodeJS.WritableStream;
  onProblem?: ProblemListener;
}

/** Opens the sink a spec names; a file sink's path is checked and opened now. */
export async function openEventSink(spec: EventsSpec, s: EventSinkSettings = {}): Promise<EventSink> {
  switch (spec.kind) {
    case 'syslog':
      return syslogSink({ socket: s.socket, facility: s.facility, onProblem: s.onProblem });
    case 'journald':
      return journaldSink({ facility: s.facility, onProblem: s.onProblem });
    case 'stdout':
      return new StreamSink(s.out ?? process.stdout, { onProblem: s.onProblem });
    case 'file': {
      const folder = dirname(spec.path);
      const st = await stat(folder).catch(() => null);
      if (!st?.isDirectory()) throw new Error(`folder ${folder} does not exist (for --events ${spec.path})`);
      const sink = new JsonlFileSink(spec.path, { maxBytes: s.maxBytes, keep: s.keep, onProblem: s.onProblem });
      await sink.open();
      return sink;
    }
  }
}

/**
 * Why events sent now would be dropped (the syslog or journald socket is not there), or null. At
 * start-up this is worth a line of its own: otherwise the first sign is a dropped incident.
 */
export function sinkNotReady(spec: EventsSpec, s: Pick<EventSinkSettings, 'socket'> = {}): string | null {
  const socket =
    spec.kind === 'syslog' ? (s.socket ?? DEFAULT_SYSLOG_SOCKET) : spec.kind === 'journald' ? JOURNALD_SOCKET : null;
  if (socket === null) return null;
  try {
    if (statSync(socket).isSocket()) return null;
    return `${socket} is not a socket`;
  } catch {
    return `${socket} does not exist (is ${spec.kind === 'syslog' ? 'a syslog daemon' : 'journald'} running?)`;
  }
}

/** A service's events flowing into a sink; stop() detaches, delivers what is queued and closes the sink. */
export interface EventStream {
  readonly feed: EventFeed;
  readonly sink: EventSink;
  stop(): Promise<void>;
}

export function streamEvents(service: EngineService, sink: EventSink, opts: { version: string }): EventStream {
  const feed = new EventFeed({ version: opts.version });
  const offSink = feed.on((e) => sink.write(e));
  const detach = feed.attach(service);
  return {
    feed,
    sink,
    stop: async () => {
      detach();
      await feed.flush();
      offSink();
      await sink.close();
    },
  };
}
