/**
 * The engine process's side of the shell↔engine protocol: answers invoke requests from the engine
 * service, forwards its events and notifications, feeds pushed idle readings and power events in,
 * and stops cleanly on request. Plain Node: it runs in Electron's utility process and, in tests,
 * in a forked Node process.
 */
import type { EmitEvent } from '../../../shared/ipc.js';
import type { PushedIdleSource } from '../idle/pushed-idle.js';
import { PowerGate } from './power-gate.js';
import {
  type EngineToMain,
  errorPayload,
  type HostNotification,
  type MessagePortLike,
  parseMainToEngine,
} from './protocol.js';

/** What the host needs of the engine service (EngineService fits it). */
export interface HostedService {
  /** Validates the channel and arguments, then runs the handler; throws a clear error on bad input. */
  invoke(channel: unknown, args: unknown): Promise<unknown>;
  onEvent(listener: EmitEvent): () => void;
  onNotify(listener: (n: HostNotification) => void): () => void;
  suspend(): void | Promise<void>;
  resume(): void | Promise<void>;
  stop(): Promise<void>;
}

export type EnginePort = MessagePortLike<unknown, EngineToMain>;

export interface ServeOptions {
  /** Where pushed powerMonitor readings and lock events go (absent: they are ignored). */
  idle?: Pick<PushedIdleSource, 'push' | 'setScreenLocked'>;
  /** Called once the service has stopped after a stop request (the process exits there). */
  onStopped?: () => void;
}

export interface ServedEngine {
  readonly power: PowerGate;
  /** Handles one raw message (what the port's listener calls). */
  handle(raw: unknown): void;
  /** Stops forwarding events. */
  close(): void;
}

/** Serves `service` over `port`. Messages that do not parse are dropped. */
export function serveEngine(port: EnginePort, service: HostedService, opts: ServeOptions = {}): ServedEngine {
  const post = (m: EngineToMain): void => {
    try {
      port.postMessage(m);
    } catch (e) {
      // A value that cannot be cloned must still answer its request.
      if (m.kind === 'result') {
        port.postMessage({ kind: 'result', id: m.id, ok: false, error: errorPayload(e) });
      }
    }
  };
  const power = new PowerGate({
    // The service reports its own failures in its status; a rejected promise must not kill the process.
    suspend: () => void Promise.resolve(service.suspend()).catch(() => undefined),
    resume: () => void Promise.resolve(service.resume()).catch(() => undefined),
    setScreenLocked: (locked) => opts.idle?.setScreenLocked(locked),
  });
  const offEvent = service.onEvent((channel, payload) => post({ kind: 'event', channel, payload }));
  const offNotify = service.onNotify((notification) => post({ kind: 'notify', notification }));
  let stopping = false;

  const served: ServedEngine = {
    power,
    handle(raw) {
      const m = parseMainToEngine(raw);
      if (!m || stopping) return;
      switch (m.kind) {
        case 'invoke':
          service.invoke(m.channel, m.args).then(
            (value) => post({ kind: 'result', id: m.id, ok: true, value }),
            (e: unknown) => post({ kind: 'result', id: m.id, ok: false, error: errorPayload(e) }),
          );
          break;
        case 'idle':
          opts.idle?.push(m.reading);
          break;
        case 'power':
          power.handle(m.event);
          break;
        case 'stop':
          stopping = true;
          served.close();
          void service
            .stop()
            .catch(() => undefined)
            .finally(() => opts.onStopped?.());
          break;
      }
    },
    close() {
      offEvent();
      offNotify();
    },
  };
  port.on('message', (raw) => served.handle(raw));
  return served;
}

export interface RunHostOptions extends ServeOptions {
  /** Ends the process (tests pass a spy). */
  exit: (code: number) => void;
}

/** The most messages kept while the service opens (pushed idle readings arrive every second). */
const EARLY_LIMIT = 1000;

/**
 * The engine process's whole life: opens the service, serves it, starts sampling, says `ready`.
 * A failure to open or start is reported as `fatal` with the reason, and the process exits 1 so
 * the app restarts it with backoff. Messages that arrive while the service opens are kept.
 */
export async function runEngineHost(
  port: EnginePort,
  open: () => Promise<HostedService & { start(): Promise<void> }>,
  opts: RunHostOptions,
): Promise<ServedEngine | null> {
  const early: unknown[] = [];
  let served: ServedEngine | null = null;
  port.on('message', (m) => {
    if (served) return; // serveEngine has its own listener from now on
    if (early.length < EARLY_LIMIT) early.push(m);
  });
  const fatal = (what: string, e: unknown): null => {
    port.postMessage({ kind: 'fatal', message: `${what}: ${errorPayload(e).message}` });
    opts.exit(1);
    return null;
  };
  let service: HostedService & { start(): Promise<void> };
  try {
    service = await open();
  } catch (e) {
    return fatal('the engine could not open its data', e);
  }
  served = serveEngine(port, service, {
    ...opts,
    onStopped: () => {
      opts.onStopped?.();
      opts.exit(0);
    },
  });
  for (const m of early.splice(0)) served.handle(m);
  try {
    await service.start();
  } catch (e) {
    return fatal('the engine could not start', e);
  }
  port.postMessage({ kind: 'ready' });
  return served;
}

/** Reports an uncaught error as `fatal` before the process dies, so the app can say why. */
export function reportCrashes(port: EnginePort, exit: (code: number) => void): void {
  const die = (e: unknown): void => {
    try {
      port.postMessage({ kind: 'fatal', message: `the engine crashed: ${errorPayload(e).message}` });
    } finally {
      exit(1);
    }
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
}
