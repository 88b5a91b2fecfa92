/**
 * Parser for the GVariant text format that `gdbus call` prints, e.g.
 * `(uint64 12345,)`, `([objectpath '/a', '/b'],)`, `({'IdleHint': <true>},)`.
 * Type keywords (`uint32`, `objectpath`) and `@type` annotations only disambiguate the printer's
 * output, so they are skipped: numbers become numbers, tuples and arrays become arrays, dicts
 * become plain objects, variants are unwrapped, `nothing` is null.
 */

export type GVariantValue = number | boolean | string | null | GVariantValue[] | { [key: string]: GVariantValue };

const TYPE_KEYWORDS = new Set([
  'boolean',
  'byte',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'handle',
  'double',
  'string',
  'objectpath',
  'signature',
]);

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Parses one GVariant text value; throws with the offset on anything it cannot read. */
export function parseGVariantText(text: string): GVariantValue {
  const p = new Parser(text);
  const value = p.value();
  p.skipSpace();
  if (!p.atEnd()) p.fail('unexpected text after the value');
  return value;
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(why: string): never {
    const near = this.text.slice(this.pos, this.pos + 30);
    throw new Error(`cannot parse gdbus output at offset ${this.pos} (${why}): "${near}"`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private peek(): string {
    return this.text[this.pos] ?? '';
  }

  private expect(ch: string): void {
    this.skipSpace();
    if (this.peek() !== ch) this.fail(`expected "${ch}"`);
    this.pos++;
  }

  value(): GVariantValue {
    this.skipSpace();
    const c = this.peek();
    if (c === '') this.fail('unexpected end');
    if (c === '@') {
      // `@ao []`: a type annotation for an otherwise ambiguous (usually empty) container.
      while (!this.atEnd() && !/\s/.test(this.peek())) this.pos++;
      return this.value();
    }
    if (c === '(') return this.sequence('(', ')');
    if (c === '[') return this.sequence('[', ']');
    if (c === '{') return this.dict();
    if (c === '<') {
      this.pos++;
      const inner = this.value();
      this.expect('>');
      return inner;
    }
    if (c === "'" || c === '"') return this.string();
    if (c === 'b' && (this.text[this.pos + 1] === "'" || this.text[this.pos + 1] === '"')) {
      this.pos++;
      return this.string();
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos))?.[0];
    if (word !== undefined) {
      if (TYPE_KEYWORDS.has(word)) {
        this.pos += word.length;
        return this.value();
      }
      if (word === 'true' || word === 'false') {
        this.pos += word.length;
        return word === 'true';
      }
      if (word === 'nothing') {
        this.pos += word.length;
        return null;
      }
      if (word === 'just') {
        this.pos += word.length;
        return this.value();
      }
      if (word === 'inf' || word === 'nan') {
        this.pos += word.length;
        return word === 'inf' ? Number.POSITIVE_INFINITY : Number.NaN;
      }
      this.fail(`unknown word "${word}"`);
    }
    return this.number();
  }

  private sequence(open: string, close: string): GVariantValue[] {
    this.expect(open);
    const items: GVariantValue[] = [];
    this.skipSpace();
    if (this.peek() === close) {
      this.pos++;
      return items;
    }
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        this.skipSpace();
        // One-element tuples print as `(x,)`.
        if (this.peek() === close) {
          this.pos++;
          return items;
        }
        continue;
      }
      this.expect(close);
      return items;
    }
  }

  private dict(): { [key: string]: GVariantValue } {
    this.expect('{');
    const out: { [key: string]: GVariantValue } = {};
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const key = this.value();
      this.skipSpace();
      // `{k: v, ...}` is a dictionary; `{k, v}` is a lone dict entry.
      if (this.peek() !== ':' && this.peek() !== ',') this.fail('expected ":" in a dictionary');
      this.pos++;
      out[String(key)] = this.value();
      this.skipSpace();
      if (this.peek() === ',') {
        this.pos++;
        continue;
      }
      this.expect('}');
      return out;
    }
  }

  private string(): string {
    const quote = this.peek();
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos++];
      if (c === undefined) this.fail('unterminated string');
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++];
      if (e === undefined) this.fail('unterminated escape');
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) out += simple;
      else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('bad unicode escape');
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.pos += len;
      } else if (/[0-7]/.test(e)) {
        // Octal escapes appear in byte strings (b'\001').
        let oct = e;
        while (oct.length < 3 && /[0-7]/.test(this.peek())) oct += this.text[this.pos++];
        out += String.fromCharCode(Number.parseInt(oct, 8));
      } else out += e;
    }
  }

  private number(): number {
    const m = /^[-+]?(0x[0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a value');
    this.pos += m[0].length;
    const n = m[0].includes('0x') ? Number.parseInt(m[0], 16) : Number(m[0]);
    if (Number.isNaN(n)) this.fail('bad number');
    return n;
  }
}
