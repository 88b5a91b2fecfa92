// `idlewatch daemon --events SPEC`: the SIEM events (docs/events.md) of the running service, to
// syslog, journald, a JSON-lines file or stdout.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type EventsSpec,
  type Facility,
  openEventSink,
  parseEventsSpec,
  parseFacility,
  sinkNotReady,
  streamEvents,
} from '../engine/index.js';
import { UsageError } from './args.js';
import type { DaemonContext } from './daemon.js';

export const EVENTS_FLAGS = {
  events: 'string',
  'syslog-facility': 'string',
  'syslog-socket': 'string',
} as const;

export const EVENTS_USAGE = `  --events SPEC          SIEM events, one JSON object each (docs/events.md): syslog (RFC 5424 on
                         /dev/log), journald, a FILE (JSON lines, rotated at 10 MiB, 5 kept) or -
                         (stdout)
  --syslog-facility NAME syslog and journald facility: user, daemon (default), auth, authpriv,
                         syslog, local0 ... local7
  --syslog-socket PATH   with --events syslog: the local syslog socket (default /dev/log)
`;

export interface DaemonEvents {
  spec: EventsSpec;
  facility?: Facility;
  socket?: string;
}

/** The events options from parsed flags (null without --events); misuse is a UsageError. */
export function parseEventsFlags(flags: Record<string, string | number | boolean | undefined>): DaemonEvents | null {
  const spec = flags.events as string | undefined;
  const facilityName = flags['syslog-facility'] as string | undefined;
  const socket = flags['syslog-socket'] as string | undefined;
  if (spec === undefined) {
    if (facilityName !== undefined) throw new UsageError('--syslog-facility goes with --events syslog or journald');
    if (socket !== undefined) throw new UsageError('--syslog-socket goes with --events syslog');
    return null;
  }
  const parsed = parseEventsSpec(spec);
  let facility: Facility | undefined;
  if (facilityName !== undefined) {
    if (parsed.kind !== 'syslog' && parsed.kind !== 'journald')
      throw new UsageError('--syslog-facility goes with --events syslog or journald');
    try {
      facility = parseFacility(facilityName);
    } catch (e) {
      throw new UsageError(`--syslog-facility: ${(e as Error).message}`);
    }
  }
  if (socket !== undefined && parsed.kind !== 'syslog')
    throw new UsageError('--syslog-socket goes with --events syslog');
  if (parsed.kind === 'file') {
    const folder = dirname(parsed.path);
    if (!isFolder(folder)) throw new UsageError(`folder ${folder} does not exist`, { pointToHelp: false });
  }
  return { spec: parsed, facility, socket };
}

/**
 * Opens the sink and sends the service's events to it until the daemon stops; what cannot be
 * delivered is one log line per failure.
 */
export async function attachEvents(ctx: DaemonContext, events: DaemonEvents, version: string): Promise<void> {
  const sink = await openEventSink(events.spec, {
    facility: events.facility,
    socket: events.socket,
    onProblem: (m) => ctx.log(`events: ${m}`),
  });
  const stream = streamEvents(ctx.service, sink, { version });
  ctx.log(`events: to ${sink.description}`);
  const notReady = sinkNotReady(events.spec, { socket: events.socket });
  if (notReady) ctx.log(`events: warning: ${notReady}; events are dropped until it is`);
  ctx.onStop(async () => {
    await stream.stop();
    const { written, dropped } = sink.stats();
    ctx.log(`events: ${written} sent, ${dropped} dropped`);
  });
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
