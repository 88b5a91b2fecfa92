/**
 * X11 idle time without starting a program: one held connection to the X server, and per read one
 * MIT-SCREEN-SAVER QueryInfo request, whose `idle` field (ms since the last input) is exactly
 * what xprintidle prints. Reconnects, with backoff, when the server goes away.
 */
import { abstractSocketsWork } from './abstract-socket.js';
import { type BackoffOptions, ReconnectBackoff } from '../../../idle/reconnect-backoff.js';
import { X11Connection, X11ConnectError, type X11Endpoint } from './x11-connection.js';

/** A parsed DISPLAY: `[protocol/][host]:number[.screen]`. */
export interface X11Display {
  protocol: string;
  host: string;
  number: number;
  screen: number;
}

/** Parses DISPLAY; returns a reason string for forms this client cannot use. */
export function parseDisplay(display: string): X11Display | string {
  const slash = display.indexOf('/');
  // A protocol prefix ("unix/", "tcp/") only when the slash comes before the colon: a path-like
  // DISPLAY (XQuartz's launchd socket) has slashes of its own and is not supported here.
  const colon = display.lastIndexOf(':');
  const protocol = slash >= 0 && slash < colon ? display.slice(0, slash) : '';
  const rest = protocol ? display.slice(slash + 1) : display;
  const at = rest.lastIndexOf(':');
  if (at < 0) return `DISPLAY "${display}" has no ":number"`;
  let host = rest.slice(0, at);
  if (host.endsWith(':')) return `DISPLAY "${display}" is a DECnet address, which is not supported`;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.includes('/')) return `DISPLAY "${display}" is not a host:number form`;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(rest.slice(at + 1));
  if (!m) return `DISPLAY "${display}" has no valid display number`;
  return { protocol, host, number: Number(m[1]), screen: Number(m[2] ?? 0) };
}

/**
 * Where to connect, in order, as libxcb does on Linux: no host (or "unix") means this machine's
 * socket, in the filesystem or the abstract namespace; a host name means TCP port 6000 + number.
 */
export function endpointsFor(d: X11Display, abstractOk = abstractSocketsWork()): X11Endpoint[] {
  const local = d.protocol === 'unix' || (d.protocol === '' && (d.host === '' || d.host === 'unix'));
  if (local) {
    const path = `/tmp/.X11-unix/X${d.number}`;
    // The abstract socket is only the second choice (a sandbox without /tmp/.X11-unix), so a
    // runtime that cannot reach it just skips it.
    const abstract: X11Endpoint[] = abstractOk ? [{ kind: 'unix', path: `\0${path}` }] : [];
    return [{ kind: 'unix', path }, ...abstract];
  }
  return [{ kind: 'tcp', host: d.host || 'localhost', port: 6000 + d.number }];
}

/** The server works but lacks the extension: xprintidle needs it too, so nothing else would work. */
export class X11NoExtensionError extends Error {
  constructor(display: string) {
    super(`X server at ${display} has no MIT-SCREEN-SAVER extension`);
    this.name = 'X11NoExtensionError';
  }
}

export interface X11LinkOptions {
  display: string;
  /** XAUTHORITY, HOME. */
  env: NodeJS.ProcessEnv;
  /** Connect and per-request limit. Default 2000 ms. */
  timeoutMs?: number;
  backoff?: BackoffOptions;
}

/**
 * One held connection to an X server, opened on first use and again, with backoff, after the
 * server went away. The idle reader and the fullscreen reader each hold one: a request either
 * makes is a round trip on an open socket, never a program started.
 */
export class X11Link {
  /** Connections opened and queries made: lets tests see that reads reuse one connection. */
  readonly stats = { connects: 0, queries: 0 };
  private conn: X11Connection | null = null;
  private opening: Promise<X11Connection> | null = null;
  /** The last failed open, answered again while the backoff runs. */
  private lastError: Error | null = null;
  private readonly backoff: ReconnectBackoff;
  protected readonly timeoutMs: number;
  /** Bumped by close(), so a connection still opening then is not kept. */
  private generation = 0;

  constructor(protected readonly opts: X11LinkOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.backoff = new ReconnectBackoff(opts.backoff);
  }

  connected(): boolean {
    return this.conn?.isOpen === true;
  }

  /** Whether the last connection sent a cookie from the Xauthority file. */
  authenticated(): boolean {
    return this.conn?.authenticated === true;
  }

  close(): void {
    this.generation++;
    this.conn?.close();
    this.conn = null;
    this.opening = null;
    this.lastError = null;
    this.backoff.succeeded();
  }

  /** The open connection, or a new one; rejects with X11ConnectError while the server cannot be reached. */
  connection(): Promise<X11Connection> {
    if (this.conn?.isOpen) return Promise.resolve(this.conn);
    this.conn = null;
    if (this.opening) return this.opening;
    if (this.lastError && !this.backoff.ready()) return Promise.reject(this.lastError);
    const generation = this.generation;
    const opening: Promise<X11Connection> = this.open()
      .then(
        (conn) => {
          if (generation !== this.generation) {
            conn.close();
            throw new Error('the X11 client was closed while connecting');
          }
          this.conn = conn;
          this.lastError = null;
          this.backoff.succeeded();
          this.stats.connects++;
          return conn;
        },
        (e: unknown) => {
          if (generation !== this.generation) throw e;
          this.lastError = e instanceof Error ? e : new X11ConnectError(String(e), false);
          this.backoff.failed();
          throw this.lastError;
        },
      )
      .finally(() => {
        if (this.opening === opening) this.opening = null;
      });
    this.opening = opening;
    return opening;
  }

  /** Runs once per new connection, before it is used; throwing closes it (an extension missing). */
  protected async prepare(_conn: X11Connection): Promise<void> {}

  private async open(): Promise<X11Connection> {
    const { display, env } = this.opts;
    const d = parseDisplay(display);
    if (typeof d === 'string') throw new X11ConnectError(d, true);
    const failures: X11ConnectError[] = [];
    for (const ep of endpointsFor(d)) {
      let conn: X11Connection;
      try {
        conn = await X11Connection.open(ep, { env, displayNumber: d.number, timeoutMs: this.timeoutMs });
      } catch (e) {
        const err = e instanceof X11ConnectError ? e : new X11ConnectError(String(e), false);
        // A server that answered and refused is the server: another path to it would be refused too.
        if (err.fallbackMayWork) throw err;
        failures.push(err);
        continue;
      }
      try {
        await this.prepare(conn);
        return conn;
      } catch (e) {
        conn.close();
        throw e;
      }
    }
    // The abstract-socket attempt repeats the filesystem one's story; the first failure says it best.
    throw new X11ConnectError(
      `X server at ${display} did not answer (${failures[0]?.message ?? 'no endpoint'})`,
      failures.some((f) => f.fallbackMayWork),
    );
  }
}

export type NativeX11IdleOptions = X11LinkOptions;

/** Idle time over an X11Link: per read one MIT-SCREEN-SAVER QueryInfo request. */
export class NativeX11Idle extends X11Link {
  /** MIT-SCREEN-SAVER's major opcode on the current connection. */
  private opcode = 0;

  /**
   * Milliseconds since the last input. Rejects with X11ConnectError when the server cannot be
   * reached, X11NoExtensionError when it lacks MIT-SCREEN-SAVER, Error for a failed request.
   */
  async idleMs(): Promise<number> {
    const conn = await this.connection();
    const req = Buffer.alloc(8);
    req.writeUInt8(this.opcode, 0);
    req.writeUInt8(1, 1); // ScreenSaverQueryInfo
    req.writeUInt16LE(2, 2);
    req.writeUInt32LE(conn.rootWindow, 4);
    this.stats.queries++;
    const reply = await conn.request(req, 'ScreenSaverQueryInfo', this.timeoutMs);
    return reply.readUInt32LE(16);
  }

  protected override async prepare(conn: X11Connection): Promise<void> {
    const opcode = await conn.queryExtension('MIT-SCREEN-SAVER', this.timeoutMs);
    if (opcode === null) throw new X11NoExtensionError(this.opts.display);
    this.opcode = opcode;
  }
}
