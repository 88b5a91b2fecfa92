/**
 * The message protocol between the app's main process and the engine process (an Electron utility
 * process in the app, a forked Node process or worker thread in tests). Plain data only, so it
 * travels over structured clone (utilityProcess, worker_threads) and over child_process IPC.
 *
 * Both sides parse what they receive with the functions below instead of trusting a cast: a
 * message that does not fit is dropped, never half-applied.
 */
import type { EventChannel } from '../../../shared/ipc.js';
import type { PushedIdleReading } from '../idle/pushed-idle.js';

export type PowerEvent = 'suspend' | 'resume' | 'lock-screen' | 'unlock-screen';
export const POWER_EVENTS: readonly PowerEvent[] = ['suspend', 'resume', 'lock-screen', 'unlock-screen'];

/** A notification the engine wants shown (medium/high incidents, already rate-limited by its policy). */
export interface HostNotification {
  title: string;
  body: string;
  severity: 'medium' | 'high';
  /** The incident to open on click (null for a grouped message: the window opens on the overview). */
  incidentKey: string | null;
  /** How many processes the message covers. */
  count: number;
}

/** main → engine */
export type MainToEngine =
  | { kind: 'invoke'; id: number; channel: string; args: unknown[] }
  | { kind: 'idle'; reading: PushedIdleReading }
  | { kind: 'power'; event: PowerEvent }
  | { kind: 'stop' };

/** engine → main */
export type EngineToMain =
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: { name: string; message: string } }
  | { kind: 'event'; channel: EventChannel; payload: unknown }
  | { kind: 'notify'; notification: HostNotification }
  | { kind: 'ready' }
  | { kind: 'fatal'; message: string };

/** Anything that carries messages both ways: utilityProcess's parentPort (unwrapped), process, a worker port. */
export interface MessagePortLike<In, Out> {
  postMessage(message: Out): void;
  on(event: 'message', listener: (message: In) => void): unknown;
}

type Obj = Record<string, unknown>;
const isObj = (m: unknown): m is Obj => typeof m === 'object' && m !== null && !Array.isArray(m);
const isId = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The message as main → engine, or null when it is not one. */
export function parseMainToEngine(m: unknown): MainToEngine | null {
  if (!isObj(m)) return null;
  switch (m.kind) {
    case 'invoke':
      return isId(m.id) && typeof m.channel === 'string' && Array.isArray(m.args)
        ? { kind: 'invoke', id: m.id, channel: m.channel, args: m.args }
        : null;
    case 'idle': {
      const r = m.reading;
      return isObj(r) && typeof r.idleSec === 'number' && typeof r.state === 'string'
        ? { kind: 'idle', reading: { idleSec: r.idleSec, state: r.state } }
        : null;
    }
    case 'power':
      return POWER_EVENTS.includes(m.event as PowerEvent) ? { kind: 'power', event: m.event as PowerEvent } : null;
    case 'stop':
      return { kind: 'stop' };
    default:
      return null;
  }
}

/** The message as engine → main, or null when it is not one. */
export function parseEngineToMain(m: unknown): EngineToMain | null {
  if (!isObj(m)) return null;
  switch (m.kind) {
    case 'result': {
      if (!isId(m.id)) return null;
      if (m.ok === true) return { kind: 'result', id: m.id, ok: true, value: m.value };
      const e = isObj(m.error) ? m.error : {};
      return {
        kind: 'result',
        id: m.id,
        ok: false,
        error: {
          name: typeof e.name === 'string' ? e.name : 'Error',
          message: typeof e.message === 'string' ? e.message : 'the engine failed without a message',
        },
      };
    }
    case 'event':
      return typeof m.channel === 'string'
        ? { kind: 'event', channel: m.channel as EventChannel, payload: m.payload }
        : null;
    case 'notify': {
      const n = m.notification;
      if (!isObj(n) || typeof n.title !== 'string' || typeof n.body !== 'string') return null;
      return {
        kind: 'notify',
        notification: {
          title: n.title,
          body: n.body,
          severity: n.severity === 'high' ? 'high' : 'medium',
          incidentKey: typeof n.incidentKey === 'string' ? n.incidentKey : null,
          count: typeof n.count === 'number' && n.count >= 1 ? Math.floor(n.count) : 1,
        },
      };
    }
    case 'ready':
      return { kind: 'ready' };
    case 'fatal':
      return { kind: 'fatal', message: typeof m.message === 'string' ? m.message : 'unknown failure' };
    default:
      return null;
  }
}

/** An error as the result message carries it (structured clone would keep Error, process IPC would not). */
export function errorPayload(e: unknown): { name: string; message: string } {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}
