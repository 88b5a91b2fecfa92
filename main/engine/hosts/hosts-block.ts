/**
 * The hosts file with Idlewatch's one managed block: parsing, rendering, adding, replacing and
 * removing it, all pure. Everything outside the block is kept byte for byte: the file is handled
 * as latin1 text (one character per byte, so any bytes survive a round trip), its line ends (CRLF
 * or LF) are followed, and a file that ends without a line end gets one only in front of the block,
 * noted inside the block so that removing the block takes it away again.
 *
 * A block that is not whole (a start marker without an end, an end without a start, two blocks) is
 * refused with the line numbers, never guessed at: guessing where a block ends could delete the
 * user's own lines.
 */
import { createHash } from 'node:crypto';
import { domainProblem } from './domain-name.js';

export const BEGIN_MARKER =
  '# >>> Idlewatch: blocked mining domains (managed: `idlewatch block-domains off` removes this block) >>>';
export const END_MARKER = '# <<< Idlewatch: end of blocked mining domains <<<';
/** What identifies a marker line, so an edited marker is still seen as one (and refused if broken). */
const BEGIN_KEY = '# >>> Idlewatch:';
const END_KEY = '# <<< Idlewatch:';
const JOINED_NOTE = '# (Idlewatch added the line end before this block: the file ended without one)';

/** The addresses each blocked name is sent to: nowhere, for IPv4 and IPv6. */
export const BLOCK_ADDRESSES = ['0.0.0.0', '::'] as const;

/** Biggest hosts file handled: real ones are a few KB, large ad-block ones a few MB. */
export const MAX_HOSTS_BYTES = 16 * 1024 * 1024;

export type Eol = '\n' | '\r\n';

export class HostsBlockError extends Error {
  override name = 'HostsBlockError';
}

export interface ManagedBlock {
  /** Offset of the start marker line. */
  start: number;
  /** Offset just past the end marker line (and its line end, when it has one). */
  end: number;
  /** The block's text, markers included, as it lies in the file. */
  text: string;
  /** 1-based lines of the markers. */
  beginLine: number;
  endLine: number;
  /** The block notes that Idlewatch added the line end before it. */
  joined: boolean;
}

export interface HostsDoc {
  /** The whole file, one character per byte. */
  text: string;
  eol: Eol;
  block: ManagedBlock | null;
}

/** The file's own line end: CRLF when most of its lines end so, else LF; `fallback` for a file with none. */
export function detectEol(text: string, fallback: Eol): Eol {
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text[i - 1] === '\r') crlf++;
    else lf++;
  }
  if (crlf === 0 && lf === 0) return fallback;
  return crlf > lf ? '\r\n' : '\n';
}

/** Reads a hosts file's bytes; throws HostsBlockError for a block that is not whole. */
export function parseHosts(data: Buffer | string, fallbackEol: Eol = '\n'): HostsDoc {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  const eol = detectEol(text, fallbackEol);
  let begin: { offset: number; line: number } | null = null;
  let block: ManagedBlock | null = null;
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    const next = nl < 0 ? text.length : nl + 1;
    const line = text.slice(offset, nl < 0 ? text.length : nl).replace(/\r$/, '');
    lineNo++;
    const trimmed = line.trim();
    if (trimmed.startsWith(BEGIN_KEY)) {
      if (begin) {
        throw new HostsBlockError(
          `line ${lineNo} starts another Idlewatch block inside the one started at line ${begin.line}; the end marker of the first is missing`,
        );
      }
      if (block) {
        throw new HostsBlockError(
          `line ${lineNo} starts a second Idlewatch block (the first is lines ${block.beginLine}-${block.endLine})`,
        );
      }
      begin = { offset, line: lineNo };
    } else if (trimmed.startsWith(END_KEY)) {
      if (!begin) throw new HostsBlockError(`line ${lineNo} ends an Idlewatch block that was never started`);
      const blockText = text.slice(begin.offset, next);
      block = {
        start: begin.offset,
        end: next,
        text: blockText,
        beginLine: begin.line,
        endLine: lineNo,
        joined: blockText.split(/\r?\n/).includes(JOINED_NOTE),
      };
      begin = null;
    }
    offset = next;
  }
  if (begin) {
    throw new HostsBlockError(
      `the Idlewatch block started at line ${begin.line} has no end marker, so where it ends cannot be told; nothing was changed (remove the block by hand, or restore the file)`,
    );
  }
  return { text, eol, block };
}

/** The names a block maps to 0.0.0.0, in its order. */
export function blockDomains(block: ManagedBlock): string[] {
  const out: string[] = [];
  for (const line of block.text.split(/\r?\n/)) {
    const m = /^0\.0\.0\.0 (\S+)$/.exec(line);
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}

/** The block for `domains` (sorted, once each), every line ended by `eol`. */
export function renderBlock(domains: readonly string[], eol: Eol, joined = false): string {
  const names = [...new Set(domains)].sort();
  const lines = [
    BEGIN_MARKER,
    `# ${names.length} ${names.length === 1 ? 'name' : 'names'} sent nowhere; lines outside this block are not Idlewatch's`,
  ];
  if (joined) lines.push(JOINED_NOTE);
  for (const d of names) for (const a of BLOCK_ADDRESSES) lines.push(`${a} ${d}`);
  lines.push(END_MARKER);
  return lines.map((l) => `${l}${eol}`).join('');
}

/** The file without the block (and without the line end Idlewatch put before it): what was there before. */
export function outsideBlock(doc: HostsDoc): string {
  const b = doc.block;
  if (!b) return doc.text;
  let start = b.start;
  if (b.joined) {
    if (doc.text.slice(0, start).endsWith('\r\n')) start -= 2;
    else if (doc.text.slice(0, start).endsWith('\n')) start -= 1;
  }
  return doc.text.slice(0, start) + doc.text.slice(b.end);
}

/** The file with a block for `domains`: the old block replaced where it was, else one added at the end. */
export function withBlock(doc: HostsDoc, domains: readonly string[]): string {
  if (domains.length === 0) throw new HostsBlockError('no domain names to block');
  const b = doc.block;
  if (b) return doc.text.slice(0, b.start) + renderBlock(domains, doc.eol, b.joined) + doc.text.slice(b.end);
  const joined = doc.text.length > 0 && !doc.text.endsWith('\n');
  return `${doc.text}${joined ? doc.eol : ''}${renderBlock(domains, doc.eol, joined)}`;
}

/**
 * Lines inside the block that are not of a form Idlewatch writes (its comments, `0.0.0.0 name`,
 * `:: name` with a strict name): 1-based line numbers and text. A block with only such lines may
 * still have been edited (a name removed); the tamper check compares it with what was written.
 */
export function foreignBlockLines(doc: HostsDoc): { line: number; text: string }[] {
  const b = doc.block;
  if (!b) return [];
  const out: { line: number; text: string }[] = [];
  const lines = b.text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const lineNo = b.beginLine + i;
    if (lineNo >= b.endLine) break;
    const text = (lines[i] ?? '').replace(/\r$/, '');
    if (text.startsWith('# ')) continue;
    const m = /^(0\.0\.0\.0|::) (\S+)$/.exec(text);
    if (m?.[2] && domainProblem(m[2]) === null) continue;
    out.push({ line: lineNo, text });
  }
  return out;
}

/**
 * Whether a block is exactly what Idlewatch writes: every name strict, every line in its place.
 * The privileged side checks a prepared file with this, so it writes nothing but such a block.
 */
export function blockProblem(doc: HostsDoc): string | null {
  const b = doc.block;
  if (!b) return null;
  const names = blockDomains(b);
  if (names.length === 0) return 'the block names no domains';
  for (const n of names) {
    const why = domainProblem(n);
    if (why) return `the block has ${JSON.stringify(n.slice(0, 80))}, not a domain name (${why})`;
  }
  if (renderBlock(names, doc.eol, b.joined) !== b.text) {
    return 'the block has lines other than the ones Idlewatch writes';
  }
  return null;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256')
    .update(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
    .digest('hex');
}
