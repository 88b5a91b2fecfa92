/**
 * Just enough of the D-Bus wire format (little-endian, no unix fds) for the test services in
 * idle-dbus-service.ts. python3-dbus and gi are not installed here, and gdbus/busctl cannot
 * serve, so a fake desktop service has to speak the protocol itself.
 * Spec: https://dbus.freedesktop.org/doc/dbus-specification.html#message-protocol-marshaling
 */

/** A value tagged with its signature, as a D-Bus variant carries it. */
export interface Variant {
  sig: string;
  value: unknown;
}

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;

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
  body: unknown[];
}

/** Splits a signature into its complete types: "sa{sv}(ii)" → ["s", "a{sv}", "(ii)"]. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < sig.length) {
    const end = completeTypeEnd(sig, i);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

function completeTypeEnd(sig: string, start: number): number {
  const c = sig[start];
  if (c === undefined) throw new Error(`truncated signature "${sig}"`);
  if (c === 'a') return completeTypeEnd(sig, start + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let i = start + 1;
    while (sig[i] !== close) {
      if (i >= sig.length) throw new Error(`unbalanced signature "${sig}"`);
      i = completeTypeEnd(sig, i);
    }
    return i + 1;
  }
  return start + 1;
}

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
        throw new Error(`cannot marshal type "${sig}"`);
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
    start = 0,
    /** Alignment is relative to the start of the message (or body), not of the buffer. */
    private readonly base = start,
  ) {
    this.pos = start;
  }

  align(n: number): void {
    const rel = this.pos - this.base;
    this.pos += (n - (rel % n)) % n;
  }

  value(sig: string): unknown {
    const c = sig[0];
    switch (c) {
      case 'y':
        return this.buf.readUInt8(this.pos++);
      case 'b':
        this.align(4);
        this.pos += 4;
        return this.buf.readUInt32LE(this.pos - 4) !== 0;
      case 'n':
      case 'q':
        this.align(2);
        this.pos += 2;
        return c === 'n' ? this.buf.readInt16LE(this.pos - 2) : this.buf.readUInt16LE(this.pos - 2);
      case 'i':
      case 'u':
        this.align(4);
        this.pos += 4;
        return c === 'i' ? this.buf.readInt32LE(this.pos - 4) : this.buf.readUInt32LE(this.pos - 4);
      case 'x':
      case 't':
        this.align(8);
        this.pos += 8;
        return c === 'x' ? this.buf.readBigInt64LE(this.pos - 8) : this.buf.readBigUInt64LE(this.pos - 8);
      case 'd':
        this.align(8);
        this.pos += 8;
        return this.buf.readDoubleLE(this.pos - 8);
      case 's':
      case 'o': {
        this.align(4);
        const len = this.buf.readUInt32LE(this.pos);
        this.pos += 4;
        const s = this.buf.toString('utf8', this.pos, this.pos + len);
        this.pos += len + 1;
        return s;
      }
      case 'g': {
        const len = this.buf.readUInt8(this.pos++);
        const s = this.buf.toString('utf8', this.pos, this.pos + len);
        this.pos += len + 1;
        return s;
      }
      case 'v': {
        const inner = this.value('g') as string;
        return { sig: inner, value: this.value(inner) } satisfies Variant;
      }
      case 'a': {
        const elem = sig.slice(1);
        this.align(4);
        const len = this.buf.readUInt32LE(this.pos);
        this.pos += 4;
        this.align(alignment(elem));
        const end = this.pos + len;
        const items: unknown[] = [];
        while (this.pos < end) items.push(this.value(elem));
        return items;
      }
      case '(':
      case '{':
        this.align(8);
        return splitSignature(sig.slice(1, -1)).map((f) => this.value(f));
      default:
        throw new Error(`cannot unmarshal type "${sig}"`);
    }
  }
}

/** Serialises a message; `serial` must be non-zero and unique per connection. */
export function encodeMessage(m: Message): Buffer {
  const body = new Writer();
  const types = splitSignature(m.signature);
  if (types.length !== m.body.length) {
    throw new Error(`signature "${m.signature}" has ${types.length} types but the body has ${m.body.length} values`);
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

/** Bytes needed for the complete message at the start of `buf`, or null when the header is not in yet. */
export function messageLength(buf: Buffer): number | null {
  if (buf.length < 16) return null;
  if (buf[0] !== 'l'.charCodeAt(0)) throw new Error('big-endian D-Bus messages are not supported by this fake');
  const bodyLength = buf.readUInt32LE(4);
  const fieldsLength = buf.readUInt32LE(12);
  const headerEnd = 16 + fieldsLength;
  return headerEnd + ((8 - (headerEnd % 8)) % 8) + bodyLength;
}

export function decodeMessage(buf: Buffer): Message {
  const head = new Reader(buf, 12, 0);
  const fields = head.value('a(yv)') as [number, Variant][];
  head.align(8);
  const m: Message = {
    type: buf.readUInt8(1),
    flags: buf.readUInt8(2),
    serial: buf.readUInt32LE(8),
    signature: '',
    body: [],
  };
  for (const [code, v] of fields) {
    const value = v.value;
    if (code === Field.Path) m.path = value as string;
    else if (code === Field.Interface) m.iface = value as string;
    else if (code === Field.Member) m.member = value as string;
    else if (code === Field.ErrorName) m.errorName = value as string;
    else if (code === Field.ReplySerial) m.replySerial = value as number;
    else if (code === Field.Destination) m.destination = value as string;
    else if (code === Field.Sender) m.sender = value as string;
    else if (code === Field.Signature) m.signature = value as string;
  }
  const body = new Reader(buf, head.pos);
  m.body = splitSignature(m.signature).map((t) => body.value(t));
  return m;
}
