/**
 * The text `ioreg` prints (`ioreg -r -d 1 -w 0 -c CLASS`, `-k KEY`): a tree of nodes, each a
 * `+-o Name  <class Class, id 0x..., ...>` line followed by a `{ ... }` block with one
 * `"key" = value` property per line (`-w 0` keeps long values on their line). Values are
 * numbers (decimal, or hex with 0x), `Yes`/`No`, quoted strings, data in angle brackets
 * (`<6b100000>` hex bytes, or `<"text">` when printable), inline dictionaries `{"k"=v,...}` and
 * arrays `(v,...)`, nested freely.
 *
 * The parser never throws: a property whose value it cannot read is kept as `undefined` and
 * counted, and a node cut off before its closing brace (a truncated capture, a killed child)
 * keeps the properties read so far.
 */

export type IoValue = number | string | boolean | IoData | IoValue[] | { [key: string]: IoValue };

/** An OSData value: its bytes as lowercase hex, and its text when ioreg printed it as `<"...">`. */
export class IoData {
  constructor(
    readonly data: string,
    readonly text: string | null = null,
  ) {}
}

export interface IoNode {
  /** The name on the `+-o` line. */
  name: string;
  className: string | null;
  /** Registry entry id (`id 0x10000087c`), lowercase hex with 0x, when printed. */
  registryId: string | null;
  /** Tree depth: 0 for the first level printed. */
  depth: number;
  props: Record<string, IoValue>;
  /** Property lines whose value could not be read. */
  badProps: number;
}

const HEADER = /^([\s|]*)\+-o (.*?)\s*<class ([^,>]+)(?:, id (0x[0-9a-fA-F]+))?[^>]*>?\s*$/;
const PROPERTY = /^[\s|]*"((?:[^"\\]|\\.)*)" = (.*)$/;

export function parseIoreg(text: string): IoNode[] {
  const nodes: IoNode[] = [];
  let current: IoNode | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const h = HEADER.exec(line);
    if (h) {
      current = {
        name: (h[2] ?? '').trim(),
        className: h[3]?.trim() || null,
        registryId: h[4]?.toLowerCase() ?? null,
        depth: Math.floor((h[1] ?? '').length / 2),
        props: {},
        badProps: 0,
      };
      nodes.push(current);
      continue;
    }
    if (!current) continue;
    const p = PROPERTY.exec(line);
    if (!p) continue; // braces, blank tree lines, anything else
    const key = unescapeKey(p[1] ?? '');
    const value = parseIoValue(p[2] ?? '');
    if (value === undefined) current.badProps++;
    else current.props[key] = value;
  }
  return nodes;
}

/** Reads one ioreg value from the whole of `text`; undefined when it is not a complete value. */
export function parseIoValue(text: string): IoValue | undefined {
  const r = new ValueReader(text);
  try {
    const v = r.value();
    r.skipSpace();
    return r.atEnd() ? v : undefined;
  } catch {
    return undefined;
  }
}

class ValueReader {
  private pos = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.pos >= this.s.length;
  }

  skipSpace(): void {
    while (this.pos < this.s.length && /\s/.test(this.s[this.pos] as string)) this.pos++;
  }

  value(): IoValue {
    this.skipSpace();
    const c = this.s[this.pos];
    if (c === undefined) throw new Error('missing value');
    if (c === '{') return this.nested(() => this.dict());
    if (c === '(') return this.nested(() => this.array());
    if (c === '"') return this.string();
    if (c === '<') return this.data();
    return this.bare();
  }

  private nested<T>(fn: () => T): T {
    // A corrupt line must not blow the stack: real values nest a few levels at most.
    if (++this.depth > 32) throw new Error('nested too deep');
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  private dict(): { [key: string]: IoValue } {
    this.pos++; // {
    const out: { [key: string]: IoValue } = {};
    this.skipSpace();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.s[this.pos] !== '"') throw new Error('expected a key');
      const key = this.string();
      this.skipSpace();
      if (this.s[this.pos] !== '=') throw new Error('expected =');
      this.pos++;
      out[key] = this.value();
      this.skipSpace();
      const c = this.s[this.pos++];
      if (c === '}') return out;
      if (c !== ',') throw new Error('expected , or }');
    }
  }

  private array(): IoValue[] {
    this.pos++; // (
    const out: IoValue[] = [];
    this.skipSpace();
    if (this.s[this.pos] === ')') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipSpace();
      const c = this.s[this.pos++];
      if (c === ')') return out;
      if (c !== ',') throw new Error('expected , or )');
    }
  }

  private string(): string {
    let i = this.pos + 1;
    let out = '';
    while (i < this.s.length) {
      const c = this.s[i] as string;
      if (c === '\\' && i + 1 < this.s.length) {
        out += this.s[i + 1];
        i += 2;
        continue;
      }
      if (c === '"') {
        this.pos = i + 1;
        return out;
      }
      out += c;
      i++;
    }
    throw new Error('unterminated string');
  }

  private data(): IoData {
    const end = this.s.indexOf('>', this.pos);
    if (end < 0) throw new Error('unterminated data');
    const inner = this.s.slice(this.pos + 1, end);
    if (inner.startsWith('"')) {
      // Printable data: <"text">. The text may itself contain '>', so find the closing quote.
      const close = this.s.indexOf('">', this.pos + 2);
      if (close < 0) throw new Error('unterminated data text');
      const text = this.s.slice(this.pos + 2, close);
      this.pos = close + 2;
      return new IoData(Buffer.from(text, 'latin1').toString('hex'), text);
    }
    const hex = inner.replace(/\s+/g, '').toLowerCase();
    if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error('bad data');
    this.pos = end + 1;
    return new IoData(hex);
  }

  private bare(): IoValue {
    const m = /^[^,)}\s]+/.exec(this.s.slice(this.pos));
    if (!m) throw new Error('unexpected character');
    const word = m[0];
    this.pos += word.length;
    if (word === 'Yes') return true;
    if (word === 'No') return false;
    if (/^-?\d+$/.test(word)) return Number(word);
    if (/^0x[0-9a-fA-F]+$/.test(word)) return Number.parseInt(word.slice(2), 16);
    if (/^-?\d+\.\d+$/.test(word)) return Number(word);
    return word;
  }
}

function unescapeKey(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** A number property, or null (strings of digits count: some drivers print numbers quoted). */
export function ioNumber(v: IoValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^-?\d+(?:\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
}

/** A string property: a quoted string, or printable data `<"...">` (NULs trimmed). */
export function ioString(v: IoValue | undefined): string | null {
  if (typeof v === 'string') return v;
  if (v instanceof IoData && v.text !== null) return v.text.replace(/\0+$/, '');
  return null;
}

/** A dictionary property, or null. */
export function ioDict(v: IoValue | undefined): { [key: string]: IoValue } | null {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof IoData) return null;
  return v;
}

/** A little-endian unsigned integer from data bytes (PCI ids: `<6b100000>` is 0x106b). */
export function ioDataUint(v: IoValue | undefined): number | null {
  if (!(v instanceof IoData)) return null;
  const hex = v.data;
  if (hex.length === 0 || hex.length > 8) return null;
  let n = 0;
  for (let i = hex.length - 2; i >= 0; i -= 2) n = n * 256 + Number.parseInt(hex.slice(i, i + 2), 16);
  return n;
}
