/**
 * One authenticated connection to a D-Bus bus over a unix socket: SASL EXTERNAL, Hello, method
 * calls matched to replies by serial with a per-call timeout. Long-lived, so a reading costs one
 * small write and one small read instead of starting a program. No unix-fd passing, no signals
 * (nothing here subscribes to any), no match rules.
 */
import { connect, type Socket } from 'node:net';
import { classifyDbusError, DbusCallError, DbusConnectError } from './dbus-types.js';
import {
  DbusWireError,
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeHeader,
  decodeMessage,
  encodeMessage,
  type Message,
  MessageType,
  messageFrame,
  NO_REPLY_EXPECTED,
} from './dbus-wire.js';

export interface DbusConnectionOptions {
  /** Limit for connect + authentication + Hello. Default 2000 ms. */
  timeoutMs?: number;
  /** Identity claimed by SASL EXTERNAL; the bus checks it against the socket's peer credentials. */
  uid?: number;
  /** Larger messages are refused: a reply is failed, the bytes skipped. Default 1 MiB. */
  maxMessageBytes?: number;
  /** Method calls addressed to this connection (the test services answer them); default: UnknownMethod. */
  onMethodCall?: (msg: Message, conn: DbusConnection) => void;
}

/** A method call to send; the connection fills in type, serial and flags. */
export interface DbusCallRequest {
  destination: string;
  path: string;
  iface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

interface Pending {
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
}

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus' };
/** A SASL line longer than this is not a D-Bus server talking. */
const MAX_AUTH_LINE = 16 * 1024;
const EMPTY: Buffer = Buffer.alloc(0);

export class DbusConnection {
  /** The name the bus gave this connection in its Hello reply, e.g. ":1.42". */
  uniqueName = '';
  private serial = 0;
  private buffered: Buffer = EMPTY;
  /** Bytes of an oversized message still to be discarded as they arrive. */
  private skipping = 0;
  private closedBecause: string | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly maxBytes: number;

  private constructor(
    private readonly socket: Socket,
    readonly where: string,
    private readonly opts: DbusConnectionOptions,
  ) {
    this.maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.shutdown(`socket error: ${e.message}`));
    socket.on('close', () => this.shutdown('the bus closed the connection'));
  }

  /**
   * Connects to the socket at `socketPath` (`\0`-prefixed: abstract namespace), authenticates and
   * says Hello. Rejects with DbusConnectError saying what went wrong.
   */
  static async open(socketPath: string, opts: DbusConnectionOptions = {}): Promise<DbusConnection> {
    const timeoutMs = opts.timeoutMs ?? 2000;
    const where = socketPath.startsWith('\0') ? `abstract socket @${socketPath.slice(1)}` : socketPath;
    const uid = opts.uid ?? process.getuid?.();
    if (uid === undefined) throw new DbusConnectError('this platform has no unix user id for EXTERNAL auth', true);
    const socket = connect({ path: socketPath });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: NodeJS.ErrnoException): void => {
          socket.off('connect', onConnect);
          reject(new DbusConnectError(`cannot connect to ${where}: ${socketErrorText(e)}`, false));
        };
        const onConnect = (): void => {
          socket.off('error', onError);
          resolve();
        };
        socket.once('error', onError);
        socket.once('connect', onConnect);
      });
      const leftover = await authenticate(socket, uid, where);
      const conn = new DbusConnection(socket, where, opts);
      if (leftover.length > 0) conn.onData(leftover);
      const hello = await conn.call({ ...BUS, member: 'Hello' }, timeoutMs).catch((e: Error) => {
        throw new DbusConnectError(`Hello on ${where} failed: ${e.message}`, true);
      });
      conn.uniqueName = typeof hello.body[0] === 'string' ? hello.body[0] : '';
      // A forgotten connection must not keep the process alive; a pending call's timer does.
      socket.unref();
      return conn;
    } catch (e) {
      socket.destroy();
      if (e instanceof DbusConnectError) throw e;
      throw new DbusConnectError(`cannot connect to ${where}: ${(e as Error).message}`, false);
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return this.closedBecause === null;
  }

  /** Why the connection ended, or null while open. */
  get closeReason(): string | null {
    return this.closedBecause;
  }

  /**
   * Calls a method; resolves with the reply, rejects with DbusCallError: the error reply's name
   * classified, `timeout` when no reply comes within `timeoutMs`, `failed` when the connection drops.
   */
  call(req: DbusCallRequest, timeoutMs: number): Promise<Message> {
    const what = `${req.iface}.${req.member} on ${req.destination}`;
    if (this.closedBecause !== null) {
      return Promise.reject(new DbusCallError('failed', `D-Bus connection lost (${this.closedBecause})`));
    }
    let serial: number;
    try {
      serial = this.send({
        type: MessageType.MethodCall,
        flags: 0,
        destination: req.destination,
        path: req.path,
        iface: req.iface,
        member: req.member,
        signature: req.signature ?? '',
        body: req.body ?? [],
      });
    } catch (e) {
      return Promise.reject(new DbusCallError('failed', `cannot send ${what}: ${(e as Error).message}`));
    }
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(serial);
        reject(new DbusCallError('timeout', `${req.destination} did not answer ${req.member} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(serial, { resolve, reject, timer, what });
    });
  }

  /** Sends any message (the test services send replies); returns the serial it was given. */
  send(m: Omit<Message, 'serial'>): number {
    if (this.closedBecause !== null) throw new Error(`connection closed (${this.closedBecause})`);
    this.serial = this.serial >= 0xffffffff ? 1 : this.serial + 1;
    const bytes = encodeMessage({ ...m, serial: this.serial });
    if (bytes.length > this.maxBytes) throw new Error(`message of ${bytes.length} bytes is over the size limit`);
    this.socket.write(bytes);
    return this.serial;
  }

  /** Answers a method call, unless its sender asked for no reply. */
  reply(to: Message, signature: string, body: unknown[]): void {
    if (to.flags & NO_REPLY_EXPECTED) return;
    this.send({
      type: MessageType.MethodReturn,
      flags: NO_REPLY_EXPECTED,
      replySerial: to.serial,
      ...(to.sender !== undefined && { destination: to.sender }),
      signature,
      body,
    });
  }

  replyError(to: Message, errorName: string, text: string): void {
    if (to.flags & NO_REPLY_EXPECTED) return;
    this.send({
      type: MessageType.Error,
      flags: NO_REPLY_EXPECTED,
      replySerial: to.serial,
      errorName,
      ...(to.sender !== undefined && { destination: to.sender }),
      signature: 's',
      body: [text],
    });
  }

  close(): void {
    this.shutdown('closed by Idlewatch');
    this.socket.destroy();
  }

  private shutdown(why: string): void {
    if (this.closedBecause !== null) return;
    this.closedBecause = why;
    this.buffered = EMPTY;
    for (const [serial, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(serial);
      p.reject(new DbusCallError('failed', `D-Bus connection lost during ${p.what} (${why})`));
    }
  }

  private onData(chunk: Buffer): void {
    let data = chunk;
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, data.length);
      this.skipping -= n;
      data = data.subarray(n);
      if (data.length === 0) return;
    }
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    try {
      this.drain();
    } catch (e) {
      // Framing is lost: nothing after this point can be trusted, so the connection goes.
      this.shutdown(`protocol error: ${(e as Error).message}`);
      this.socket.destroy();
    }
  }

  private drain(): void {
    for (;;) {
      const frame = messageFrame(this.buffered);
      if (!frame) return;
      if (frame.totalLength > this.maxBytes) {
        if (frame.headerLength > this.maxBytes) throw new DbusWireError('message header is over the size limit');
        if (this.buffered.length < frame.headerLength) return;
        // Refuse it without holding it: fail the call it answers, then discard its bytes as they come.
        const header = decodeHeader(this.buffered.subarray(0, frame.headerLength));
        const limit = `${Math.round(this.maxBytes / 1024)} KiB`;
        this.settleError(header.replySerial, `reply of ${frame.totalLength} bytes is over the ${limit} limit`);
        if (this.buffered.length >= frame.totalLength) {
          this.take(frame.totalLength);
          continue;
        }
        this.skipping = frame.totalLength - this.buffered.length;
        this.buffered = EMPTY;
        return;
      }
      if (this.buffered.length < frame.totalLength) return;
      this.dispatch(this.take(frame.totalLength));
    }
  }

  private take(n: number): Buffer {
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.length === n ? EMPTY : this.buffered.subarray(n);
    return out;
  }

  private dispatch(raw: Buffer): void {
    let msg: Message;
    try {
      msg = decodeMessage(raw);
    } catch (e) {
      // The stream is still framed; only this message is bad. A reply that cannot be read fails its call.
      let replySerial: number | undefined;
      try {
        replySerial = decodeHeader(raw).replySerial;
      } catch {
        // Not even the header reads: nothing to fail.
      }
      this.settleError(replySerial, `unreadable reply: ${(e as Error).message}`);
      return;
    }
    if (msg.type === MessageType.MethodReturn || msg.type === MessageType.Error) {
      const p = msg.replySerial === undefined ? undefined : this.pending.get(msg.replySerial);
      if (!p || msg.replySerial === undefined) return;
      this.pending.delete(msg.replySerial);
      clearTimeout(p.timer);
      if (msg.type === MessageType.MethodReturn) {
        p.resolve(msg);
        return;
      }
      const name = msg.errorName ?? 'org.freedesktop.DBus.Error.Failed';
      const text = typeof msg.body[0] === 'string' ? msg.body[0] : name;
      p.reject(new DbusCallError(classifyDbusError(name, text), text, name));
      return;
    }
    if (msg.type === MessageType.MethodCall) {
      if (this.opts.onMethodCall) this.opts.onMethodCall(msg, this);
      else this.replyError(msg, 'org.freedesktop.DBus.Error.UnknownMethod', 'Idlewatch exports no objects');
    }
    // Signals (NameAcquired after Hello) need nothing.
  }

  private settleError(replySerial: number | undefined, why: string): void {
    const p = replySerial === undefined ? undefined : this.pending.get(replySerial);
    if (!p || replySerial === undefined) return;
    this.pending.delete(replySerial);
    clearTimeout(p.timer);
    p.reject(new DbusCallError('bad-reply', `${p.what}: ${why}`));
  }
}

/**
 * SASL EXTERNAL: the bus learns our uid from the socket itself and only checks that we claim the
 * same one. Resolves with any bytes that arrived after the OK line (none, in practice).
 */
function authenticate(socket: Socket, uid: number, where: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let text = EMPTY;
    let socketError = '';
    const done = (err: Error | null, rest: Buffer = EMPTY): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(rest);
    };
    const onError = (e: Error): void => {
      socketError = `: ${e.message}`;
    };
    const onClose = (): void =>
      done(new DbusConnectError(`the bus at ${where} hung up during authentication${socketError}`, false));
    const onData = (d: Buffer): void => {
      text = text.length === 0 ? d : Buffer.concat([text, d]);
      for (;;) {
        const end = text.indexOf('\r\n');
        if (end < 0) {
          if (text.length > MAX_AUTH_LINE) done(new DbusConnectError(`${where} is not a D-Bus server`, false));
          return;
        }
        const line = text.subarray(0, end).toString('latin1');
        text = text.subarray(end + 2);
        if (line.startsWith('OK')) {
          socket.write('BEGIN\r\n');
          done(null, text);
          return;
        }
        if (line.startsWith('DATA')) {
          // A challenge for EXTERNAL carries nothing to prove; the empty answer means "the identity already given".
          socket.write('DATA\r\n');
          continue;
        }
        if (line.startsWith('REJECTED')) {
          const offers = line.slice('REJECTED'.length).trim() || 'nothing';
          done(
            new DbusConnectError(`the bus at ${where} refused EXTERNAL authentication (it offers: ${offers})`, true),
          );
          return;
        }
        done(new DbusConnectError(`the bus at ${where} answered authentication with "${line.slice(0, 80)}"`, true));
        return;
      }
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.write(`\0AUTH EXTERNAL ${Buffer.from(String(uid), 'latin1').toString('hex')}\r\n`);
  });
}

function socketErrorText(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'no such socket';
    case 'ECONNREFUSED':
      return 'connection refused (no bus is listening)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return e.message;
  }
}
