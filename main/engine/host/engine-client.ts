/**
 * The app's side of the shell↔engine protocol: request ids and timeouts for invokes, events and
 * notifications from the engine, and restarts with exponential backoff when the engine process
 * dies. Plain Node (no electron import): the app hands it a spawn function that forks Electron's
 * utility process; tests hand it one that forks Node.
 */
import {
  API_EVENTS,
  type EmitEvent,
  type EngineStatus,
  type EventChannel,
  type InvokeChannel,
  type InvokeContract,
} from '../../../shared/ipc.js';
import type { PushedIdleReading } from '../idle/pushed-idle.js';
import { type HostNotification, type MainToEngine, type PowerEvent, parseEngineToMain } from './protocol.js';

/** A running engine process as the client drives it (Electron's UtilityProcess fits it). */
export interface EngineChild {
  postMessage(message: MainToEngine): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number | null) => void): unknown;
  kill(): unknown;
}

export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Monotonic ms. */
  now(): number;
}

export const REAL_TIMERS: ClientTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => performance.now(),
};

export interface EngineClientOptions {
  /** Starts a new engine process. */
  spawn: () => EngineChild;
  /** An invoke with no answer after this long is rejected. Default 15 s. */
  invokeTimeoutMs?: number;
  /** This many timeouts in a row mean a hung engine: it is killed and restarted. Default 3. */
  hungAfterTimeouts?: number;
  /** A new engine that has not said `ready` after this long is killed and restarted. Default 60 s. */
  readyTimeoutMs?: number;
  /** First restart delay; each further attempt doubles it. Default 1 s. */
  backoffInitialMs?: number;
  /** Default 60 s. */
  backoffMaxMs?: number;
  /** An engine that stayed up this long before dying starts the backoff again at attempt 1. Default 5 min. */
  healthyResetMs?: number;
  /** How long stop() waits for the engine to exit on its own before killing it. Default 5 s. */
  stopTimeoutMs?: number;
  /** For the placeholder status shown while no engine answers. */
  dataDir?: string;
  timers?: ClientTimers;
}

/** One restart, as scheduled: what tests and the log look at. */
export interface RestartRecord {
  attempt: number;
  delayMs: number;
  reason: string;
}

type Phase = 'idle' | 'starting' | 'ready' | 'waiting' | 'stopping' | 'stopped';

interface Pending {
  channel: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: unknown;
}

const EVENT_CHANNELS = new Set<string>(Object.values(API_EVENTS));

/** The delay before restart `attempt` (1-based): 1 s, 2 s, 4 s … capped. */
export function backoffDelay(attempt: number, initialMs = 1000, maxMs = 60_000): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

export class EngineClient {
  private readonly opts: Required<Omit<EngineClientOptions, 'dataDir'>> & { dataDir: string };
  private readonly t: ClientTimers;
  private phase: Phase = 'idle';
  private child: EngineChild | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly eventListeners = new Set<EmitEvent>();
  private readonly notifyListeners = new Set<(n: HostNotification) => void>();
  private attempt = 0;
  private readyAtMs: number | null = null;
  private fatalMessage: string | null = null;
  private restartTimer: unknown = null;
  private readyTimer: unknown = null;
  private timeoutsInARow = 0;
  private lastStatus: EngineStatus | null = null;
  private restartError: string | null = null;
  private suspended = false;
  private screenLocked = false;
  private stopWaiters: (() => void)[] = [];
  /** Every restart scheduled, oldest first (bounded). */
  readonly restarts: RestartRecord[] = [];

  constructor(opts: EngineClientOptions) {
    this.opts = {
      invokeTimeoutMs: 15_000,
      hungAfterTimeouts: 3,
      readyTimeoutMs: 60_000,
      backoffInitialMs: 1000,
      backoffMaxMs: 60_000,
      healthyResetMs: 5 * 60_000,
      stopTimeoutMs: 5000,
      dataDir: '',
      timers: REAL_TIMERS,
      ...opts,
    };
    this.t = this.opts.timers;
  }

  /** Starts the engine process. */
  start(): void {
    if (this.phase !== 'idle') return;
    this.spawn();
  }

  get isReady(): boolean {
    return this.phase === 'ready';
  }

  /** The engine's status as last reported, with the restart error while no engine answers. */
  status(): EngineStatus {
    const base: EngineStatus = this.lastStatus ?? {
      pausedUntil: null,
      suspended: this.suspended,
      problems: [],
      error: null,
      dataDir: this.opts.dataDir,
      open: { low: 0, medium: 0, high: 0 },
      paused: [],
    };
    return this.restartError ? { ...base, error: this.restartError } : base;
  }

  /** Asks the engine; rejects after the invoke timeout, or at once while the engine is down. */
  invoke<C extends InvokeChannel>(channel: C, args: InvokeContract[C]['args']): Promise<InvokeContract[C]['result']>;
  invoke(channel: string, args: unknown[]): Promise<unknown>;
  invoke(channel: string, args: unknown[]): Promise<unknown> {
    const child = this.child;
    if (!child || (this.phase !== 'ready' && this.phase !== 'starting')) {
      // The window still learns why: the status is answered here while the engine is away.
      if (channel === 'engine:status' && this.phase !== 'stopped') return Promise.resolve(this.status());
      return Promise.reject(new Error(this.restartError ?? `the engine is not running (${this.phase})`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = this.t.setTimeout(() => this.onTimeout(id), this.opts.invokeTimeoutMs);
      this.pending.set(id, { channel, resolve, reject, timer });
      try {
        child.postMessage({ kind: 'invoke', id, channel, args });
      } catch (e) {
        this.settle(id)?.reject(new Error(`could not send ${channel} to the engine: ${(e as Error).message}`));
      }
    });
  }

  /** Engine events (and the client's own engine:status while restarting). */
  onEvent(listener: EmitEvent): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onNotify(listener: (n: HostNotification) => void): () => void {
    this.notifyListeners.add(listener);
    return () => this.notifyListeners.delete(listener);
  }

  /** Forwards a powerMonitor idle reading (dropped while no engine runs: it would be stale anyway). */
  sendIdle(reading: PushedIdleReading): void {
    this.send({ kind: 'idle', reading });
  }

  /** Forwards a power event; the state is replayed to an engine started later. */
  sendPower(event: PowerEvent): void {
    if (event === 'suspend') this.suspended = true;
    if (event === 'resume') this.suspended = false;
    if (event === 'lock-screen') this.screenLocked = true;
    if (event === 'unlock-screen') this.screenLocked = false;
    this.send({ kind: 'power', event });
  }

  /** Asks the engine to stop, kills it if it has not exited in time; no restart follows. */
  stop(): Promise<void> {
    if (this.phase === 'stopped') return Promise.resolve();
    this.t.clearTimeout(this.restartTimer);
    this.t.clearTimeout(this.readyTimer);
    const child = this.child;
    if (!child) {
      this.phase = 'stopped';
      this.rejectAll('the app is quitting');
      return Promise.resolve();
    }
    this.phase = 'stopping';
    return new Promise<void>((resolve) => {
      this.stopWaiters.push(resolve);
      try {
        child.postMessage({ kind: 'stop' });
      } catch {
        child.kill();
      }
      const killTimer = this.t.setTimeout(() => child.kill(), this.opts.stopTimeoutMs);
      this.stopWaiters.push(() => this.t.clearTimeout(killTimer));
    });
  }

  private send(m: MainToEngine): void {
    if (!this.child || this.phase === 'stopping') return;
    try {
      this.child.postMessage(m);
    } catch {
      // the exit handler restarts it
    }
  }

  private spawn(): void {
    this.phase = 'starting';
    this.fatalMessage = null;
    this.readyAtMs = null;
    this.timeoutsInARow = 0;
    let child: EngineChild;
    try {
      child = this.opts.spawn();
    } catch (e) {
      this.child = null;
      this.scheduleRestart(`could not start the engine process: ${(e as Error).message}`);
      return;
    }
    this.child = child;
    child.on('message', (raw) => {
      if (this.child === child) this.onMessage(raw);
    });
    child.on('exit', (code) => {
      if (this.child === child) this.onExit(code);
    });
    if (this.suspended) this.send({ kind: 'power', event: 'suspend' });
    if (this.screenLocked) this.send({ kind: 'power', event: 'lock-screen' });
    this.readyTimer = this.t.setTimeout(() => {
      if (this.child !== child || this.phase !== 'starting') return;
      this.fatalMessage = `the engine did not get ready within ${duration(this.opts.readyTimeoutMs)}`;
      child.kill();
    }, this.opts.readyTimeoutMs);
  }

  private onMessage(raw: unknown): void {
    const m = parseEngineToMain(raw);
    if (!m) return;
    switch (m.kind) {
      case 'result': {
        const p = this.settle(m.id);
        if (!p) return; // timed out already
        this.timeoutsInARow = 0;
        if (m.ok) p.resolve(m.value);
        else {
          const err = new Error(m.error.message);
          err.name = m.error.name;
          p.reject(err);
        }
        return;
      }
      case 'event':
        if (!EVENT_CHANNELS.has(m.channel)) return;
        if (m.channel === 'engine:status') this.lastStatus = m.payload as EngineStatus;
        this.emit(m.channel, m.payload);
        return;
      case 'notify':
        for (const l of this.notifyListeners) safe(() => l(m.notification));
        return;
      case 'ready':
        if (this.phase !== 'starting') return;
        this.t.clearTimeout(this.readyTimer);
        this.phase = 'ready';
        this.readyAtMs = this.t.now();
        if (this.restartError) {
          this.restartError = null;
          // The engine's own status replaces the restart message in the window and the tray.
          this.invoke('engine:status', []).then(
            (s) => {
              this.lastStatus = s;
              this.emit('engine:status', s);
            },
            () => this.emit('engine:status', this.status()),
          );
        }
        return;
      case 'fatal':
        this.fatalMessage = m.message;
        return;
    }
  }

  private onExit(code: number | null): void {
    this.child = null;
    this.t.clearTimeout(this.readyTimer);
    if (this.phase === 'stopping' || this.phase === 'stopped') {
      this.phase = 'stopped';
      this.rejectAll('the app is quitting');
      for (const w of this.stopWaiters.splice(0)) w();
      return;
    }
    const reason =
      this.fatalMessage ??
      (code === null || code === undefined
        ? 'the engine process was killed'
        : `the engine process exited with code ${code}`);
    this.rejectAll(`the engine stopped before answering: ${reason}`);
    const healthy = this.readyAtMs !== null && this.t.now() - this.readyAtMs >= this.opts.healthyResetMs;
    if (healthy) this.attempt = 0;
    this.scheduleRestart(reason);
  }

  private scheduleRestart(reason: string): void {
    this.attempt++;
    const delayMs = backoffDelay(this.attempt, this.opts.backoffInitialMs, this.opts.backoffMaxMs);
    this.restarts.push({ attempt: this.attempt, delayMs, reason });
    if (this.restarts.length > 100) this.restarts.shift();
    this.phase = 'waiting';
    this.restartError = `engine restarting (attempt ${this.attempt}): ${reason}`;
    this.emit('engine:status', this.status());
    this.restartTimer = this.t.setTimeout(() => {
      if (this.phase === 'waiting') this.spawn();
    }, delayMs);
  }

  private onTimeout(id: number): void {
    const p = this.settle(id);
    if (!p) return;
    p.reject(new Error(`the engine did not answer ${p.channel} within ${duration(this.opts.invokeTimeoutMs)}`));
    if (++this.timeoutsInARow >= this.opts.hungAfterTimeouts && this.child && this.phase === 'ready') {
      this.fatalMessage = `the engine stopped answering (${this.timeoutsInARow} requests timed out)`;
      this.child.kill();
    }
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    this.t.clearTimeout(p.timer);
    return p;
  }

  private rejectAll(why: string): void {
    for (const id of [...this.pending.keys()]) {
      const p = this.settle(id);
      p?.reject(new Error(`${p.channel}: ${why}`));
    }
  }

  private emit(channel: EventChannel, payload: unknown): void {
    for (const l of this.eventListeners) safe(() => l(channel, payload as never));
  }
}

function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // a listener's bug must not break the client
  }
}
