/**
 * Browser miners injected into web pages: what a page or script that mines in its visitors'
 * browsers looks like, found in a file's text. Pure: the web-root step reads the files.
 *
 * Three kinds of sign, each tied to the line it starts on:
 * - a known miner's loader or configuration (CoinHive, CryptoLoot, Coinimp, WebMinePool, deepMiner,
 *   CryptoNoter, the Monero-ocean webminer: their constructors with a site key, throttle settings,
 *   CryptoNight WebAssembly workers, the stratum messages a miner sends);
 * - code that loads something from a mining domain (a script tag or iframe, fetch, import,
 *   importScripts, a Worker or WebSocket, a script element's src);
 * - either of those hidden: string concatenation (`+` in JavaScript, `.` in PHP), hex, unicode and
 *   percent escapes, base64 (`atob`, `base64_decode`, `Buffer.from(…, 'base64')`), character codes
 *   (`String.fromCharCode`), arrays joined, and `eval`/`Function`/`document.write` of a built
 *   string. Decoding is conservative and bounded: only literal strings are decoded (nothing runs),
 *   at most three layers deep, and a text that only mentions a miner (an article about CoinHive, a
 *   link to it) is not code that loads one.
 */
import type { DomainList } from '../../detect/mining-domains.js';

export type WebFileKind = 'html' | 'js' | 'php';

export interface WebMinerHit {
  /** 1-based lines the sign starts and ends on. */
  line: number;
  endLine: number;
  /** "CoinHive miner started with site key 'abc…'". */
  what: string;
  /** How it was hidden, outermost first; empty when it was written plainly. */
  hidden: string[];
  /** The text at that place, shortened. */
  snippet: string;
  /** The element (script tag, PHP block) holding it, as offsets in the file; null in a plain script file. */
  span: { start: number; end: number } | null;
}

interface Sig {
  re: RegExp;
  what: (m: RegExpExecArray) => string;
}

const key = (k: string | undefined): string =>
  k ? ` with site key '${k.slice(0, 24)}${k.length > 24 ? '…' : ''}'` : '';

/** Loaders and settings of the known browser miners. Each needs code syntax, not just the name. */
const SIGNATURES: readonly Sig[] = [
  {
    re: /\bCoinHive\s*\.\s*(?:Anonymous|User|Token)\s*\(\s*(?:(['"])([^'"\n]{0,120})\1)?/g,
    what: (m) => `CoinHive miner started${key(m[2])}`,
  },
  {
    re: /\.start\s*\(\s*CoinHive\s*\.\s*(?:FORCE_EXCLUSIVE_TAB|FORCE_MULTI_TAB|IF_EXCLUSIVE_TAB)/g,
    what: () => 'CoinHive miner start option',
  },
  {
    re: /\b(?:CRLT|CryptoLoot)\s*\.\s*(?:Anonymous|User)\s*\(\s*(?:(['"])([^'"\n]{0,120})\1)?/g,
    what: (m) => `CryptoLoot miner started${key(m[2])}`,
  },
  {
    re: /\bClient\s*\.\s*(?:Anonymous|User)\s*\(\s*(['"])([0-9a-f]{64})\1/gi,
    what: (m) => `Coinimp miner started${key(m[2])}`,
  },
  {
    re: /\bWMP\s*\.\s*(?:Anonymous|User)\s*\(\s*(?:(['"])([^'"\n]{0,120})\1)?/g,
    what: (m) => `WebMinePool miner started${key(m[2])}`,
  },
  { re: /\bdeepMiner\s*\.\s*(?:Anonymous|Init|User)\s*\(/g, what: () => 'deepMiner miner started' },
  { re: /\bCryptoNoter\s*\.\s*(?:Anonymous|User)\s*\(/g, what: () => 'CryptoNoter miner started' },
  { re: /\bthrottleMiner\s*=\s*\d+/g, what: () => 'webminer throttle setting (throttleMiner)' },
  { re: /\bminer\w*\s*\.\s*setThrottle\s*\(/gi, what: () => 'miner throttle setting (setThrottle)' },
  { re: /\.getHashesPerSecond\s*\(\s*\)/g, what: () => 'miner hash-rate call (getHashesPerSecond)' },
  { re: /\b_?cryptonight_(?:hash|create|destroy)\b/g, what: () => 'CryptoNight WebAssembly miner worker' },
  { re: /\bcryptonight(?:[-_.](?:asmjs|wasm|light|lite))*\.(?:wasm|js)\b/gi, what: () => 'CryptoNight miner module' },
  {
    re: /["']method["']\s*:\s*["'](?:login|submit)["'][^\n]{0,300}["'](?:nonce|job_id|blob)["']/g,
    what: () => 'stratum mining messages (login/submit with a job and nonce)',
  },
];

/** Calls that load code or open a channel: their first string argument is what is loaded. */
const LOADERS =
  /\b(?:fetch|import|importScripts|getScript|WebSocket|Worker|SharedWorker|startMining)\s*\(\s*(['"`])([^'"`\n]{1,500})\1|\bimport\s+(?:[\w*{}\s,]+\s+from\s+)?(['"])([^'"\n]{1,500})\3|\.src\s*=\s*(['"])([^'"\n]{1,500})\5/g;

const URL_HOST = /^(?:(?:https?|wss?):)?\/\/([a-z0-9.-]+)(?::\d+)?(\/[^\s'"?#]*)?/i;

/** The host a URL (or a bare `host/path`, as startMining takes) names. */
function hostOf(url: string): { host: string; path: string; scheme: string } | null {
  const m = URL_HOST.exec(url.trim());
  if (m?.[1])
    return { host: m[1].toLowerCase(), path: m[2] ?? '', scheme: url.trim().split(':')[0]?.toLowerCase() ?? '' };
  const bare = /^([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::\d+)?(\/\S*)?$/i.exec(url.trim());
  return bare?.[1] ? { host: bare[1].toLowerCase(), path: bare[2] ?? '', scheme: '' } : null;
}

const HOST_WORD = /[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+/gi;

function listedHostIn(text: string, domains: DomainList): { host: string; domain: string } | null {
  for (const m of text.matchAll(HOST_WORD)) {
    const d = domains.match(m[0]);
    if (d) return { host: m[0].toLowerCase(), domain: d };
  }
  return null;
}

export interface AnalyseLimits {
  /** Layers of decoding followed (a base64 string holding an escaped string holding a tag: 3). */
  maxDepth: number;
  /** Characters decoded in all, per file. */
  maxDecoded: number;
  /** Hits kept per file. */
  maxHits: number;
}

export const DEFAULT_ANALYSE_LIMITS: AnalyseLimits = { maxDepth: 3, maxDecoded: 2_000_000, maxHits: 50 };

interface Ctx {
  text: string;
  lineStarts: number[];
  domains: DomainList;
  limits: AnalyseLimits;
  decoded: number;
  hits: WebMinerHit[];
  seen: Set<string>;
}

function lineOf(ctx: Ctx, offset: number): number {
  let lo = 0;
  let hi = ctx.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((ctx.lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Where a finding points in the file: the place in the file the text came from. */
interface Origin {
  /** Offset in the file and its length, for a text from the file itself; for decoded text, the literal it came from. */
  start: number;
  end: number;
  /** True when `text` is the file's own text at `start` (offsets inside it map one to one). */
  direct: boolean;
  hidden: string[];
  span: { start: number; end: number } | null;
}

function addHit(ctx: Ctx, o: Origin, at: number, len: number, what: string): void {
  if (ctx.hits.length >= ctx.limits.maxHits) return;
  const start = o.direct ? o.start + at : o.start;
  const end = o.direct ? o.start + at + len : o.end;
  const line = lineOf(ctx, start);
  const id = `${line}|${what}`;
  if (ctx.seen.has(id)) return;
  ctx.seen.add(id);
  const lineEnd = ctx.text.indexOf('\n', start);
  const snippetFrom = ctx.text.lastIndexOf('\n', start) + 1;
  const snippet = ctx.text
    .slice(Math.max(snippetFrom, start - 60), Math.min(lineEnd < 0 ? ctx.text.length : lineEnd, start + 140))
    .trim();
  ctx.hits.push({
    line,
    endLine: lineOf(ctx, Math.max(start, end - 1)),
    what,
    hidden: o.hidden,
    snippet: snippet.length > 200 ? `${snippet.slice(0, 199)}…` : snippet,
    span: o.span,
  });
}

/** A URL an element or call loads: a hit when its host is a mining domain. */
function checkLoad(ctx: Ctx, o: Origin, at: number, len: number, url: string, how: string): void {
  const h = hostOf(url);
  if (!h) return;
  const d = ctx.domains.match(h.host);
  if (d) addHit(ctx, o, at, len, `${how} ${h.host}, a mining domain (${d})`);
}

// ---------------------------------------------------------------------------------------------
// Decoding literal strings

const ESCAPE = /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|([0-7]{1,3})|(.))/gs;

/** A JavaScript/PHP string literal's body with its escapes resolved; `escaped` when any hex, unicode or octal escape was there. */
function unescapeLiteral(body: string): { value: string; escaped: boolean } {
  let escaped = false;
  const value = body.replace(ESCAPE, (_m, hex, brace, uni, oct, ch) => {
    if (hex || brace || uni || oct) {
      escaped = true;
      const code = Number.parseInt(hex ?? brace ?? uni ?? oct, hex || brace || uni ? 16 : 8);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === 'r' ? '\r' : ch;
  });
  return { value, escaped };
}

function printable(s: string): boolean {
  if (s.length === 0) return false;
  let bad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 0xfffd) bad++;
  }
  return bad / s.length < 0.02;
}

function fromBase64(s: string): string | null {
  const clean = s.replace(/\s+/g, '');
  if (clean.length < 8 || clean.length % 4 === 1 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) return null;
  const text = Buffer.from(clean.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  return printable(text) ? text : null;
}

function fromPercent(s: string): string | null {
  if (!/%[0-9a-f]{2}/i.test(s)) return null;
  try {
    return decodeURIComponent(s.replace(/%u([0-9a-f]{4})/gi, (_m, h) => String.fromCharCode(Number.parseInt(h, 16))));
  } catch {
    return null;
  }
}

interface Literal {
  start: number;
  end: number;
  value: string;
  hidden: string[];
}

const STRING_OR_COMMENT = /\/\*[\s\S]*?\*\/|(?<![:\\])\/\/[^\n]*|#[^\n]*|(['"`])((?:\\[\s\S]|(?!\1)[^\\\n])*)\1/g;

/**
 * The string literals of a script, joined where code concatenates them (`'a' + 'b'`, PHP `'a'.'b'`,
 * `['a','b'].join('')`), each with its escapes resolved. Comments are skipped (`#` only in PHP).
 */
function literals(code: string, php: boolean, maxCount: number): Literal[] {
  const raw: { start: number; end: number; value: string; escaped: boolean }[] = [];
  STRING_OR_COMMENT.lastIndex = 0;
  for (let m = STRING_OR_COMMENT.exec(code); m && raw.length < maxCount; m = STRING_OR_COMMENT.exec(code)) {
    if (m[1] === undefined) {
      if (m[0].startsWith('#') && !php) STRING_OR_COMMENT.lastIndex = m.index + 1;
      continue;
    }
    if (m[1] === '`' && m[2]?.includes('${')) continue;
    const { value, escaped } = unescapeLiteral(m[2] ?? '');
    raw.push({ start: m.index, end: m.index + m[0].length, value, escaped });
  }
  const joiner = php ? /^\s*[.+]\s*$/ : /^\s*\+\s*$/;
  const out: Literal[] = [];
  for (let i = 0; i < raw.length; i++) {
    const first = raw[i]!;
    let value = first.value;
    let end = first.end;
    let escaped = first.escaped;
    let parts = 1;
    while (i + 1 < raw.length && joiner.test(code.slice(end, raw[i + 1]!.start))) {
      const next = raw[++i]!;
      value += next.value;
      escaped ||= next.escaped;
      end = next.end;
      parts++;
    }
    const hidden: string[] = [];
    if (parts > 1) hidden.push('string concatenation');
    if (escaped) hidden.push('escape sequences');
    out.push({ start: first.start, end, value, hidden });
  }
  // ['co', 'in', 'hive.com'].join('')
  for (const m of code.matchAll(
    /\[((?:\s*(['"])(?:\\.|(?!\2)[^\\\n])*\2\s*,?)+)\]\s*\.\s*join\s*\(\s*(['"])\3\s*\)/g,
  )) {
    const parts = [...(m[1] ?? '').matchAll(/(['"])((?:\\.|(?!\1)[^\\\n])*)\1/g)].map(
      (p) => unescapeLiteral(p[2] ?? '').value,
    );
    out.push({ start: m.index, end: m.index + m[0].length, value: parts.join(''), hidden: ['an array joined'] });
  }
  // String.fromCharCode(99, 111, …)
  for (const m of code.matchAll(
    /String\s*\.\s*fromCharCode\s*\(\s*((?:0x[0-9a-f]+|\d+)(?:\s*,\s*(?:0x[0-9a-f]+|\d+)){2,4000})\s*\)/gi,
  )) {
    const value = (m[1] ?? '')
      .split(',')
      .map((n) => Number(n.trim()))
      .filter((n) => Number.isInteger(n) && n >= 0 && n <= 0x10ffff)
      .map((n) => String.fromCodePoint(n))
      .join('');
    out.push({ start: m.index, end: m.index + m[0].length, value, hidden: ['character codes'] });
  }
  return out;
}

const DECODERS: readonly { re: RegExp; how: string; decode: (s: string) => string | null }[] = [
  { re: /\b(?:atob|base64_decode)\s*\(\s*$/, how: 'base64', decode: fromBase64 },
  { re: /\bBuffer\s*\.\s*from\s*\(\s*$/, how: 'base64', decode: fromBase64 },
  {
    re: /\b(?:unescape|decodeURIComponent|decodeURI|rawurldecode|urldecode)\s*\(\s*$/,
    how: 'percent escapes',
    decode: fromPercent,
  },
];

const EVAL_BEFORE =
  /\b(?:eval|Function|write(?:ln)?|setTimeout|setInterval|assert|create_function)\s*\(\s*(?:[\w.]+\s*\(\s*)*$/;

// ---------------------------------------------------------------------------------------------
// Analysis

function analyseCode(ctx: Ctx, code: string, o: Origin, depth: number, php: boolean): void {
  for (const s of SIGNATURES) {
    s.re.lastIndex = 0;
    for (const m of code.matchAll(s.re)) addHit(ctx, o, m.index, m[0].length, s.what(m as RegExpExecArray));
  }
  for (const m of code.matchAll(LOADERS)) {
    const url = m[2] ?? m[4] ?? m[6] ?? '';
    const how = m[0].startsWith('.src')
      ? 'script source set to'
      : m[0].startsWith('import')
        ? 'imports from'
        : 'loads from';
    checkLoad(ctx, o, m.index, m[0].length, url, how);
  }
  for (const lit of literals(code, php, 50_000)) {
    if (ctx.decoded > ctx.limits.maxDecoded) return;
    const before = code.slice(Math.max(0, lit.start - 80), lit.start);
    let value = lit.value;
    const hidden = [...lit.hidden];
    for (const d of DECODERS) {
      if (!d.re.test(before)) continue;
      const out = d.decode(value);
      if (out !== null) {
        value = out;
        hidden.unshift(d.how);
      }
      break;
    }
    const evaluated = EVAL_BEFORE.test(before);
    if (evaluated && hidden.length > 0) hidden.unshift('eval of a built string');
    // A literal written plainly was already read as code above; only URLs to scripts, modules or
    // sockets on a mining domain are signs by themselves (a page may name a domain in its text).
    if (hidden.length === 0) {
      const h = hostOf(lit.value);
      if (h && (/^wss?$/.test(h.scheme) || /\.(?:m?js|wasm)$/i.test(h.path))) {
        const d = ctx.domains.match(h.host);
        // Not again where a loading call on the same line already named it.
        const line = lineOf(ctx, o.direct ? o.start + lit.start : o.start);
        if (d && !ctx.hits.some((x) => x.line === line && x.what.includes(h.host))) {
          addHit(ctx, o, lit.start, lit.end - lit.start, `script address on ${h.host}, a mining domain (${d})`);
        }
      }
      if (!evaluated) continue;
    }
    ctx.decoded += value.length;
    const inner: Origin = {
      start: o.direct ? o.start + lit.start : o.start,
      end: o.direct ? o.start + lit.end : o.end,
      direct: false,
      hidden: [...o.hidden, ...hidden],
      span: o.span,
    };
    const before0 = ctx.hits.length;
    if (depth < ctx.limits.maxDepth) analyseText(ctx, value, inner, depth + 1);
    if (ctx.hits.length === before0 && hidden.length > 0) {
      // Hidden, and nothing more specific inside: the hidden mining domain itself is the sign.
      const listed = listedHostIn(value, ctx.domains);
      if (listed) addHit(ctx, inner, 0, 0, `builds the name ${listed.host}, a mining domain (${listed.domain})`);
    }
  }
}

const SCRIPT_ELEMENT = /<script\b([^>]{0,2000})>([\s\S]*?)<\/script\s*>/gi;
const IFRAME_SRC = /<i?frame\b[^>]{0,2000}?\bsrc\s*=\s*(['"]?)([^'"\s>]{1,500})\1/gi;
const SRC_ATTR = /\bsrc\s*=\s*(['"]?)([^'"\s>]{1,500})\1/i;
const TYPE_ATTR = /\btype\s*=\s*(['"]?)([^'"\s>]+)\1/i;
const PHP_BLOCK = /<\?(?:php\b|=)([\s\S]*?)(?:\?>|$)/gi;

function isJsType(attrs: string): boolean {
  const t = TYPE_ATTR.exec(attrs)?.[2]?.toLowerCase();
  return t === undefined || t === 'module' || /javascript|ecmascript|jscript/.test(t);
}

/** Markup (HTML, templates, PHP pages): script elements, frames, PHP blocks. */
function analyseMarkup(ctx: Ctx, text: string, o: Origin, depth: number, php: boolean): void {
  // A tag PHP prints is part of its PHP block: removing the injection means removing the block.
  const phpBlocks =
    php && o.direct ? [...text.matchAll(PHP_BLOCK)].map((m) => ({ start: m.index, end: m.index + m[0].length })) : [];
  const enclosing = (start: number, end: number): { start: number; end: number } => {
    const b = phpBlocks.find((x) => x.start <= start && x.end >= end);
    return b ? { start: o.start + b.start, end: o.start + b.end } : { start: o.start + start, end: o.start + end };
  };
  for (const m of text.matchAll(SCRIPT_ELEMENT)) {
    const attrs = m[1] ?? '';
    const start = m.index;
    const span = o.direct ? enclosing(start, start + m[0].length) : o.span;
    const here: Origin = { ...o, span };
    const src = SRC_ATTR.exec(attrs);
    if (src?.[2]) checkLoad(ctx, here, start, m[0].length, src[2], 'script tag loads from');
    if (!isJsType(attrs)) continue;
    const bodyAt = start + 7 + attrs.length + 1;
    const body = m[2] ?? '';
    analyseCode(ctx, body, o.direct ? { ...here, start: o.start + bodyAt } : here, depth, false);
  }
  for (const m of text.matchAll(IFRAME_SRC)) {
    const end = text.indexOf('>', m.index);
    const close = /<\/i?frame\s*>/i.exec(text.slice(end, end + 200));
    const spanEnd = close ? end + close.index + close[0].length : end + 1;
    const span = o.direct ? enclosing(m.index, spanEnd) : o.span;
    checkLoad(ctx, { ...o, span }, m.index, m[0].length, m[2] ?? '', 'frame loads from');
  }
  if (!php) return;
  for (const m of text.matchAll(PHP_BLOCK)) {
    const span = o.direct ? { start: o.start + m.index, end: o.start + m.index + m[0].length } : o.span;
    const bodyAt = m.index + m[0].indexOf(m[1] ?? '');
    analyseCode(ctx, m[1] ?? '', o.direct ? { ...o, start: o.start + bodyAt, span } : { ...o, span }, depth, true);
  }
}

/** Decoded text: markup when it has tags, else code. */
function analyseText(ctx: Ctx, text: string, o: Origin, depth: number): void {
  if (/<script\b|<i?frame\b|<\?php/i.test(text)) analyseMarkup(ctx, text, o, depth, /<\?php/i.test(text));
  else analyseCode(ctx, text, o, depth, false);
}

/** Every sign of an injected miner in one file's text. */
export function analyseWebFile(
  text: string,
  kind: WebFileKind,
  domains: DomainList,
  limits: AnalyseLimits = DEFAULT_ANALYSE_LIMITS,
): WebMinerHit[] {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const ctx: Ctx = { text, lineStarts, domains, limits, decoded: 0, hits: [], seen: new Set() };
  const whole: Origin = { start: 0, end: text.length, direct: true, hidden: [], span: null };
  if (kind === 'js') analyseCode(ctx, text, whole, 0, false);
  else analyseMarkup(ctx, text, whole, 0, kind === 'php');
  return ctx.hits.sort((a, b) => a.line - b.line);
}

/**
 * Whether line `lineNo` can go without touching anything but the injection: the line holds
 * nothing but elements (script tags, frames, PHP blocks) that each carry a hit, or, in a script
 * file, it is one whole statement (its brackets balance) with a hit on it.
 */
export function removableLine(text: string, lineNo: number, hits: readonly WebMinerHit[], kind: WebFileKind): boolean {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0 && starts.length <= lineNo; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const from = starts[lineNo - 1];
  if (from === undefined) return false;
  const nl = text.indexOf('\n', from);
  const to = nl < 0 ? text.length : nl;
  const onLine = hits.filter((h) => h.line === lineNo && h.endLine === lineNo);
  if (onLine.length === 0 || hits.some((h) => h.line <= lineNo && h.endLine >= lineNo && h.line !== h.endLine))
    return false;
  if (kind === 'js') {
    if (onLine.some((h) => h.span !== null)) return false;
    const line = text.slice(from, to).replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, '""');
    let depth = 0;
    for (const ch of line) {
      if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch) && --depth < 0) return false;
    }
    return depth === 0 && !/^\s*[.+,?:|&]/.test(line) && /[;)}]\s*$/.test(line);
  }
  const spans = [...new Map(onLine.filter((h) => h.span).map((h) => [`${h.span!.start}`, h.span!])).values()];
  if (spans.length !== onLine.length && onLine.some((h) => h.span === null)) return false;
  let rest = text.slice(from, to);
  for (const s of spans.sort((a, b) => b.start - a.start)) {
    if (s.start < from || s.end > to) return false;
    rest = rest.slice(0, s.start - from) + rest.slice(s.end - from);
  }
  return rest.trim() === '';
}
