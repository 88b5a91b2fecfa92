/**
 * A minimal X11 client connection: connection setup (with an MIT-MAGIC-COOKIE-1 from the
 * Xauthority file when there is one), requests matched to replies by sequence number, and
 * QueryExtension. Requests are written little-endian, which the server then answers in.
 * Protocol: https://www.x.org/releases/current/doc/xproto/x11protocol.html
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { localTarget, MIT_MAGIC_COOKIE, readCookie, XauFamily, type XauthTarget } from './xauthority.js';

export type X11Endpoint = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/**
 * The server could not be reached or refused us. `fallbackMayWork` says whether libX11 (through
 * xprintidle) might do better: true when the refusal is about authorization (libXau has matching
 * rules and auth schemes this client lacks), false when no server is there.
 */
export class X11ConnectError extends Error {
  constructor(
    message: string,
    readonly fallbackMayWork: boolean,
  ) {
    super(message);
    this.name = 'X11ConnectError';
  }
}

export interface X11ConnectionOptions {
  env: NodeJS.ProcessEnv;
  displayNumber: number;
  /** Limit for connect + setup. */
  timeoutMs: number;
}

interface Pending {
  resolve: (reply: Buffer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Our replies are 32 bytes; a server sending more than this is not one to keep talking to. */
const MAX_PACKET_BYTES = 1024 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);

const X_ERRORS: Record<number, string> = {
  1: 'BadRequest',
  2: 'BadValue',
  3: 'BadWindow',
  8: 'BadMatch',
  9: 'BadDrawable',
  10: 'BadAccess',
  11: 'BadAlloc',
  16: 'BadLength',
  17: 'BadImplementation',
};

export class X11Connection {
  private seq = 0;
  private buffered: Buffer = EMPTY;
  private closedBecause: string | null = null;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly socket: Socket,
    /** Root window of the first screen: idle time is server-wide, any root will do. */
    readonly rootWindow: number,
    /** Whether a cookie was sent, for messages. */
    readonly authenticated: boolean,
    /** Where this client's resource ids start (CreateWindow needs one). */
    readonly resourceIdBase: number,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.shutdown(`socket error: ${e.message}`));
    socket.on('close', () => this.shutdown('the X server closed the connection'));
  }

  static async open(ep: X11Endpoint, opts: X11ConnectionOptions): Promise<X11Connection> {
    const where = ep.kind === 'unix' ? ep.path.replace(/^\0/, '@') : `${ep.host}:${ep.port}`;
    const socket = ep.kind === 'unix' ? netConnect({ path: ep.path }) : netConnect({ host: ep.host, port: ep.port });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: NodeJS.ErrnoException): void => {
          socket.off('connect', onConnect);
          reject(new X11ConnectError(`cannot connect to ${where}: ${socketErrorText(e)}`, false));
        };
        const onConnect = (): void => {
          socket.off('error', onError);
          resolve();
        };
        socket.once('error', onError);
        socket.once('connect', onConnect);
      });
      if (ep.kind === 'tcp') socket.setNoDelay(true);
      const cookie = await readCookie(opts.env, authTarget(ep, socket, opts.displayNumber));
      const { setup, rest } = await handshake(socket, cookie, where);
      const conn = new X11Connection(socket, rootOf(setup, where), cookie !== null, setup.readUInt32LE(12));
      if (rest.length > 0) conn.onData(rest);
      // A forgotten connection must not keep the process alive; a pending request's timer does.
      socket.unref();
      return conn;
    } catch (e) {
      socket.destroy();
      if (e instanceof X11ConnectError) throw e;
      throw new X11ConnectError(`cannot connect to ${where}: ${(e as Error).message}`, false);
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return this.closedBecause === null;
  }

  /**
   * Sends one request that has a reply (`bytes` holds the whole request, length field included)
   * and resolves with the reply packet.
   */
  request(bytes: Buffer, what: string, timeoutMs: number): Promise<Buffer> {
    if (this.closedBecause !== null) return Promise.reject(new Error(`X connection lost (${this.closedBecause})`));
    this.seq = (this.seq + 1) & 0xffff;
    const seq = this.seq;
    this.socket.write(bytes);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`the X server did not answer ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, {
        resolve,
        reject: (e) => reject(new Error(`${what}: ${e.message}`)),
        timer,
      });
    });
  }

  /**
   * Sends a request that has no reply (ChangeProperty, CreateWindow). An error the server answers
   * with is dropped: nothing waits for it.
   */
  send(bytes: Buffer): void {
    if (this.closedBecause !== null) throw new Error(`X connection lost (${this.closedBecause})`);
    this.seq = (this.seq + 1) & 0xffff;
    this.socket.write(bytes);
  }

  /** The major opcode of an extension, or null when the server lacks it. */
  async queryExtension(name: string, timeoutMs: number): Promise<number | null> {
    const n = Buffer.from(name, 'latin1');
    const req = Buffer.alloc(8 + pad4(n.length));
    req.writeUInt8(98, 0); // QueryExtension
    req.writeUInt16LE(req.length / 4, 2);
    req.writeUInt16LE(n.length, 4);
    n.copy(req, 8);
    const reply = await this.request(req, `QueryExtension ${name}`, timeoutMs);
    return reply.readUInt8(8) ? reply.readUInt8(9) : null;
  }

  close(): void {
    this.shutdown('closed by Idlewatch');
    this.socket.destroy();
  }

  private shutdown(why: string): void {
    if (this.closedBecause !== null) return;
    this.closedBecause = why;
    this.buffered = EMPTY;
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(seq);
      p.reject(new Error(`X connection lost (${why})`));
    }
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 32) {
      const kind = this.buffered.readUInt8(0) & 0x7f;
      // Replies and GenericEvents carry extra length in 4-byte units; errors and other events are 32 bytes.
      const size = kind === 1 || kind === 35 ? 32 + 4 * this.buffered.readUInt32LE(4) : 32;
      if (size > MAX_PACKET_BYTES) {
        this.shutdown(`the X server sent a ${size}-byte packet`);
        this.socket.destroy();
        return;
      }
      if (this.buffered.length < size) return;
      const packet = this.buffered.subarray(0, size);
      this.buffered = this.buffered.length === size ? EMPTY : this.buffered.subarray(size);
      if (kind === 0 || kind === 1) this.settle(packet);
      // Events: none are selected; the server may still send a few (MappingNotify), all ignorable.
    }
  }

  private settle(packet: Buffer): void {
    const seq = packet.readUInt16LE(2);
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    if (packet.readUInt8(0) === 1) {
      p.resolve(packet);
      return;
    }
    const code = packet.readUInt8(1);
    p.reject(new Error(`X error ${X_ERRORS[code] ?? code}`));
  }
}

/**
 * Which Xauthority record names this connection, as libxcb decides: a unix socket or a loopback
 * TCP connection is "this host" (FamilyLocal + host name), any other TCP peer is its IP address.
 */
function authTarget(ep: X11Endpoint, socket: Socket, displayNumber: number): XauthTarget {
  if (ep.kind === 'unix') return localTarget(displayNumber);
  const ip = socket.remoteAddress ?? '';
  if (ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.')) return localTarget(displayNumber);
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    return { family: XauFamily.Internet, address: Buffer.from(v4.split('.').map(Number)), displayNumber };
  }
  return { family: XauFamily.Internet6, address: ipv6Bytes(ip), displayNumber };
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail = ''] = ip.split('::');
  const parts = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const h = parts(head);
  const t = parts(tail);
  const groups = ip.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill(0), ...t] : h;
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => {
    out.writeUInt16BE(g & 0xffff, i * 2);
  });
  return out;
}

/** Sends the connection setup and waits for the server's verdict. */
function handshake(socket: Socket, cookie: Buffer | null, where: string): Promise<{ setup: Buffer; rest: Buffer }> {
  const name = cookie ? Buffer.from(MIT_MAGIC_COOKIE, 'latin1') : EMPTY;
  const data = cookie ?? EMPTY;
  const req = Buffer.alloc(12 + pad4(name.length) + pad4(data.length));
  req.writeUInt8(0x6c, 0); // 'l': little-endian
  req.writeUInt16LE(11, 2);
  req.writeUInt16LE(0, 4);
  req.writeUInt16LE(name.length, 6);
  req.writeUInt16LE(data.length, 8);
  name.copy(req, 12);
  data.copy(req, 12 + pad4(name.length));
  return new Promise((resolve, reject) => {
    let got = EMPTY;
    let socketError = '';
    const done = (err: Error | null, value?: { setup: Buffer; rest: Buffer }): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else if (value) resolve(value);
    };
    const onError = (e: Error): void => {
      socketError = `: ${e.message}`;
    };
    const onClose = (): void =>
      done(new X11ConnectError(`the X server at ${where} hung up during connection setup${socketError}`, false));
    const onData = (d: Buffer): void => {
      got = got.length === 0 ? d : Buffer.concat([got, d]);
      if (got.length < 8) return;
      const size = 8 + 4 * got.readUInt16LE(6);
      if (got.length < size) return;
      const setup = got.subarray(0, size);
      const status = setup.readUInt8(0);
      if (status === 1) {
        done(null, { setup, rest: got.subarray(size) });
        return;
      }
      // Failed (0): reason length in byte 1. Authenticate (2): the reason fills the additional data.
      const reasonLen = status === 0 ? setup.readUInt8(1) : size - 8;
      const reason =
        setup
          .toString('latin1', 8, 8 + reasonLen)
          .replace(/\0+$/, '')
          .trim() || 'no reason given';
      const auth = cookie ? 'with the MIT-MAGIC-COOKIE-1 from the Xauthority file' : 'without a cookie';
      done(new X11ConnectError(`the X server at ${where} refused the connection ${auth}: ${reason}`, true));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(req);
  });
}

/** The first screen's root window, from the setup reply. */
function rootOf(setup: Buffer, where: string): number {
  if (setup.length < 40) throw new X11ConnectError(`the X server at ${where} sent a short setup reply`, true);
  const vendorLen = setup.readUInt16LE(24);
  const screens = setup.readUInt8(28);
  const formats = setup.readUInt8(29);
  const at = 40 + pad4(vendorLen) + 8 * formats;
  if (screens === 0 || at + 4 > setup.length) {
    throw new X11ConnectError(`the X server at ${where} reported no screens`, true);
  }
  return setup.readUInt32LE(at);
}

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

function socketErrorText(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such socket';
    case 'ECONNREFUSED':
      return 'connection refused (no X server is listening)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return e.message;
  }
}
