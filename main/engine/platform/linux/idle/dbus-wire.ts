/**
 * The D-Bus message format, as much of it as the idle sources and the test services need: every
 * basic type but unix fds, arrays, structs, dict entries and variants. Messages are written
 * little-endian; both byte orders are read, since the bus forwards a peer's message as the peer
 * wrote it. Decoding is bounds-checked throughout: a malformed message throws DbusWireError,
 * never reads past its own bytes.
 * Spec: https://dbus.freedesktop.org/doc/dbus-specification.html#message-protocol-marshaling
 */
import { splitSignature } from './dbus-types.js';

/** A value tagged with its signature, as a D-Bus variant carries it. */
export interface Variant {
  sig: string;
  value: unknown;
}

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;

/** Header flag: the sender wants no reply (signals, replies to fire-and-forget calls). */
export const NO_REPLY_EXPECTED = 0x1;

/** Beyond what any idle-related reply needs by orders of magnitude; the spec allows 128 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

const Field = {
  Path: 1,
  Interface: 2,
  Member: 3,
  ErrorName: 4,
  ReplySerial: 5,
  Destination: 6,
  Sender: 7,
  Signature: 8,
} as const;

export interface Message {
  type: number;
  flags: number;
  serial: number;
  path?: string;
  iface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  /** Decoded values: numbers, bigint for 64-bit integers, strings, booleans, arrays, Variant. */
  body: unknown[];
}

export class DbusWireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DbusWireError';
  }
}

/** Variants may nest inside variants without limit in the signature; the spec caps the total at 64. */
const MAX_VALUE_DEPTH = 64;

function alignment(sig: string): number {
  switch (sig[0]) {
    case 'y':
    case 'g':
    case 'v':
      return 1;
    case 'n':
    case 'q':
      return 2;
    case 'x':
    case 't':
    case 'd':
    case '(':
    case '{':
      return 8;
    default:
      return 4;
  }
}

class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }

  u32(v: number): void {
    this.align(4);
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v, at);
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }

  value(sig: string, v: unknown): void {
    const c = sig[0];
    switch (c) {
      case 'y':
        this.u8(Number(v));
        return;
      case 'b':
        this.u32(v ? 1 : 0);
        return;
      case 'n':
      case 'q':
        this.align(2);
        this.ensure(2);
        if (c === 'n') this.buf.writeInt16LE(Number(v), this.length);
        else this.buf.writeUInt16LE(Number(v), this.length);
        this.length += 2;
        return;
      case 'i':
        this.align(4);
        this.ensure(4);
        this.buf.writeInt32LE(Number(v), this.length);
        this.length += 4;
        return;
      case 'u':
        this.u32(Number(v));
        return;
      case 'x':
      case 't':
        this.align(8);
        this.ensure(8);
        if (c === 'x') this.buf.writeBigInt64LE(BigInt(v as number | bigint), this.length);
        else this.buf.writeBigUInt64LE(BigInt(v as number | bigint), this.length);
        this.length += 8;
        return;
      case 'd':
        this.align(8);
        this.ensure(8);
        this.buf.writeDoubleLE(Number(v), this.length);
        this.length += 8;
        return;
      case 's':
      case 'o': {
        const b = Buffer.from(String(v), 'utf8');
        this.u32(b.length);
        this.bytes(b);
        this.u8(0);
        return;
      }
      case 'g': {
        const b = Buffer.from(String(v), 'utf8');
        if (b.length > 255) throw new DbusWireError(`signature "${String(v)}" is longer than 255 bytes`);
        this.u8(b.length);
        this.bytes(b);
        this.u8(0);
        return;
      }
      case 'v': {
        const variant = v as Variant;
        this.value('g', variant.sig);
        this.value(variant.sig, variant.value);
        return;
      }
      case 'a': {
        const elem = sig.slice(1);
        this.align(4);
        const lengthAt = this.length;
        this.u32(0);
        // The padding before the first element is not part of the array length.
        this.align(alignment(elem));
        const start = this.length;
        for (const item of v as unknown[]) this.value(elem, item);
        this.patchU32(lengthAt, this.length - start);
        return;
      }
      case '(':
      case '{': {
        this.align(8);
        const fields = splitSignature(sig.slice(1, -1));
        const items = v as unknown[];
        fields.forEach((f, i) => {
          this.value(f, items[i]);
        });
        return;
      }
      default:
        throw new DbusWireError(`cannot marshal type "${sig}"`);
    }
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

class Reader {
  pos: number;

  constructor(
    private readonly buf: Buffer,
    private readonly le: boolean,
    start: number,
    /** Alignment is relative to the start of the message, not of the buffer. */
    private readonly base: number,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  align(n: number): void {
    const rel = this.pos - this.base;
    this.pos += (n - (rel % n)) % n;
    if (this.pos > this.end) throw new DbusWireError('message truncated (padding runs past the end)');
  }

  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw new DbusWireError('message truncated');
    this.pos += n;
    return at;
  }

  private u32(): number {
    this.align(4);
    const at = this.take(4);
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  private text(len: number): string {
    const at = this.take(len + 1);
    if (this.buf[at + len] !== 0) throw new DbusWireError('string is not nul-terminated');
    return this.buf.toString('utf8', at, at + len);
  }

  value(sig: string, depth = 0): unknown {
    if (depth > MAX_VALUE_DEPTH) throw new DbusWireError('value nests too deeply');
    const c = sig[0];
    switch (c) {
      case 'y':
        return this.buf.readUInt8(this.take(1));
      case 'b':
        return this.u32() !== 0;
      case 'n':
      case 'q': {
        this.align(2);
        const at = this.take(2);
        if (c === 'n') return this.le ? this.buf.readInt16LE(at) : this.buf.readInt16BE(at);
        return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
      }
      case 'i': {
        this.align(4);
        const at = this.take(4);
        return this.le ? this.buf.readInt32LE(at) : this.buf.readInt32BE(at);
      }
      case 'u':
      case 'h':
        return this.u32();
      case 'x':
      case 't': {
        this.align(8);
        const at = this.take(8);
        if (c === 'x') return this.le ? this.buf.readBigInt64LE(at) : this.buf.readBigInt64BE(at);
        return this.le ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at);
      }
      case 'd': {
        this.align(8);
        const at = this.take(8);
        return this.le ? this.buf.readDoubleLE(at) : this.buf.readDoubleBE(at);
      }
      case 's':
      case 'o':
        return this.text(this.u32());
      case 'g':
        return this.text(this.buf.readUInt8(this.take(1)));
      case 'v': {
        const inner = this.value('g', depth + 1) as string;
        const types = splitSignatureChecked(inner);
        if (types.length !== 1) throw new DbusWireError(`variant signature "${inner}" is not one complete type`);
        return { sig: inner, value: this.value(inner, depth + 1) } satisfies Variant;
      }
      case 'a': {
        const elem = sig.slice(1);
        const len = this.u32();
        this.align(alignment(elem));
        const end = this.pos + len;
        if (end > this.end) throw new DbusWireError(`array of ${len} bytes runs past the end of the message`);
        const items: unknown[] = [];
        while (this.pos < end) items.push(this.value(elem, depth + 1));
        if (this.pos !== end) throw new DbusWireError('array elements overrun the array length');
        return items;
      }
      case '(':
      case '{':
        this.align(8);
        return splitSignatureChecked(sig.slice(1, -1)).map((f) => this.value(f, depth + 1));
      default:
        throw new DbusWireError(`cannot unmarshal type "${sig}"`);
    }
  }
}

function splitSignatureChecked(sig: string): string[] {
  try {
    return splitSignature(sig);
  } catch (e) {
    throw new DbusWireError((e as Error).message);
  }
}

/** Serialises a message; `serial` must be non-zero and unique per connection. */
export function encodeMessage(m: Message): Buffer {
  const body = new Writer();
  const types = splitSignature(m.signature);
  if (types.length !== m.body.length) {
    throw new DbusWireError(
      `signature "${m.signature}" has ${types.length} types but the body has ${m.body.length} values`,
    );
  }
  types.forEach((t, i) => {
    body.value(t, m.body[i]);
  });
  const fields: [number, Variant][] = [];
  if (m.path !== undefined) fields.push([Field.Path, { sig: 'o', value: m.path }]);
  if (m.iface !== undefined) fields.push([Field.Interface, { sig: 's', value: m.iface }]);
  if (m.member !== undefined) fields.push([Field.Member, { sig: 's', value: m.member }]);
  if (m.errorName !== undefined) fields.push([Field.ErrorName, { sig: 's', value: m.errorName }]);
  if (m.replySerial !== undefined) fields.push([Field.ReplySerial, { sig: 'u', value: m.replySerial }]);
  if (m.destination !== undefined) fields.push([Field.Destination, { sig: 's', value: m.destination }]);
  if (m.sender !== undefined) fields.push([Field.Sender, { sig: 's', value: m.sender }]);
  if (m.signature !== '') fields.push([Field.Signature, { sig: 'g', value: m.signature }]);

  const head = new Writer();
  head.u8('l'.charCodeAt(0));
  head.u8(m.type);
  head.u8(m.flags);
  head.u8(1);
  head.u32(body.length);
  head.u32(m.serial);
  head.value('a(yv)', fields);
  head.align(8);
  head.bytes(body.result());
  return Buffer.from(head.result());
}

/** The sizes in a message's fixed 16-byte header. */
export interface MessageFrame {
  /** Bytes up to and including the header-field array (before the padding to the body). */
  headerLength: number;
  /** Bytes of the whole message. */
  totalLength: number;
}

/** Sizes of the message starting at `buf`, or null until its 16-byte fixed header is in. */
export function messageFrame(buf: Buffer): MessageFrame | null {
  if (buf.length < 16) return null;
  const endian = buf[0];
  if (endian !== 0x6c && endian !== 0x42) {
    throw new DbusWireError(`not a D-Bus message (byte-order mark 0x${(endian ?? 0).toString(16)})`);
  }
  if (buf[3] !== 1) throw new DbusWireError(`unsupported D-Bus protocol version ${buf[3]}`);
  const le = endian === 0x6c;
  const bodyLength = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLength = le ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  const headerLength = 16 + fieldsLength;
  return { headerLength, totalLength: headerLength + ((8 - (headerLength % 8)) % 8) + bodyLength };
}

/** Decodes the header fields only: enough to tell which call an oversized reply answers. */
export function decodeHeader(buf: Buffer): Omit<Message, 'body'> {
  const frame = messageFrame(buf);
  if (!frame) throw new DbusWireError('message truncated (no fixed header)');
  const le = buf[0] === 0x6c;
  const type = buf.readUInt8(1);
  if (type < MessageType.MethodCall || type > MessageType.Signal)
    throw new DbusWireError(`unknown message type ${type}`);
  const head = new Reader(buf, le, 12, 0, Math.min(buf.length, frame.headerLength));
  const fields = head.value('a(yv)') as [number, Variant][];
  const m: Omit<Message, 'body'> = {
    type,
    flags: buf.readUInt8(2),
    serial: le ? buf.readUInt32LE(8) : buf.readUInt32BE(8),
    signature: '',
  };
  for (const [code, v] of fields) {
    const value = v.value;
    const expect = (sig: string): void => {
      if (v.sig !== sig) throw new DbusWireError(`header field ${code} has type "${v.sig}", not "${sig}"`);
    };
    if (code === Field.Path) {
      expect('o');
      m.path = value as string;
    } else if (code === Field.Interface) {
      expect('s');
      m.iface = value as string;
    } else if (code === Field.Member) {
      expect('s');
      m.member = value as string;
    } else if (code === Field.ErrorName) {
      expect('s');
      m.errorName = value as string;
    } else if (code === Field.ReplySerial) {
      expect('u');
      m.replySerial = value as number;
    } else if (code === Field.Destination) {
      expect('s');
      m.destination = value as string;
    } else if (code === Field.Sender) {
      expect('s');
      m.sender = value as string;
    } else if (code === Field.Signature) {
      expect('g');
      m.signature = value as string;
    }
    // Unknown fields (unix fds, container ids) are skipped, as the spec requires.
  }
  return m;
}

/** Decodes one complete message; `buf` must hold exactly messageFrame(buf).totalLength bytes. */
export function decodeMessage(buf: Buffer): Message {
  const frame = messageFrame(buf);
  if (!frame || buf.length < frame.totalLength) throw new DbusWireError('message truncated');
  const header = decodeHeader(buf);
  const le = buf[0] === 0x6c;
  const bodyStart = frame.headerLength + ((8 - (frame.headerLength % 8)) % 8);
  const body = new Reader(buf, le, bodyStart, bodyStart, frame.totalLength);
  const values = splitSignatureChecked(header.signature).map((t) => body.value(t));
  if (body.pos !== frame.totalLength) throw new DbusWireError('message body is longer than its signature says');
  return { ...header, body: values };
}
