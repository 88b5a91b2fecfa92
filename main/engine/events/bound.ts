/**
 * Size bounds and the one serialisation every sink writes. Process names, paths, command lines
 * and rule evidence are what a process says about itself: attacker-controlled. They stay inside
 * JSON strings, are cut to a fixed length, and the whole event to MAX_EVENT_BYTES, so a hostile
 * command line can neither break a syslog frame nor push the rest of the event out of it.
 */

/** Longest value of each kind of string, in code points (docs/events.md, "Bounds"). */
export const LIMITS = {
  name: 256,
  executable: 1024,
  command_line: 2048,
  user: 128,
  detail: 300,
  message: 400,
  /** Evidence lines per incident (the detector gives a handful; a bound all the same). */
  reasons: 16,
  /** Earlier identities of an exec'ing process. */
  was: 8,
} as const;

/**
 * The largest serialised event. Whole events fit one RFC 5424 message of 4 KiB with its header
 * (the size logger(1)'s manual says receivers can be assumed to take) and rsyslog's default
 * 8 KiB maxMessageSize with room to spare.
 */
export const MAX_EVENT_BYTES = 3800;

export const CUT_MARK = '…';

/** `s` cut to `max` code points (never inside a surrogate pair), marked with CUT_MARK when cut. */
export function bound(s: string, max: number): { text: string; cut: boolean } {
  // A code point is at most two UTF-16 units: look no further than that into a huge string.
  if (s.length <= max) return { text: s, cut: false };
  const points = Array.from(s.slice(0, max * 2 + 2));
  if (points.length <= max && s.length <= max * 2 + 2) return { text: s, cut: false };
  return { text: points.slice(0, Math.max(0, max - 1)).join('') + CUT_MARK, cut: true };
}

/**
 * The event as one line of printable ASCII: JSON.stringify escapes control characters (newline,
 * carriage return, NUL, ESC, ...) and lone surrogates; everything else outside 0x20–0x7e (DEL,
 * the C1 controls, U+2028/U+2029 line separators, any other non-ASCII) is written as a \u escape
 * too. Any JSON parser reads it back unchanged, and no byte of it can end or forge a log line,
 * start a terminal escape sequence or trip a receiver's charset handling.
 */
export function eventLine(doc: unknown): string {
  return JSON.stringify(doc).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Where a string sits in the document, so it can be replaced. */
interface Leaf {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  value: string;
  size: number;
}

/** Keys whose strings are ours and short (ids, times, enumerations): never cut. */
const KEEP = new Set(['@timestamp', 'id', 'action', 'kind', 'version', 'dataset', 'module', 'level', 'start']);

/**
 * Cuts the longest strings of `doc` (in place) until its line fits `maxBytes`: the longest one is
 * halved, again and again, so every string keeps as much as the budget allows. Returns whether
 * anything was cut. Strings under KEEP keys are never cut.
 */
export function fitEvent(doc: Record<string, unknown>, maxBytes: number = MAX_EVENT_BYTES): boolean {
  let cut = false;
  for (let round = 0; round < 400 && eventLine(doc).length > maxBytes; round++) {
    const leaves: Leaf[] = [];
    collect(doc, leaves);
    let longest: Leaf | null = null;
    for (const l of leaves) if (!longest || l.size > longest.size) longest = l;
    if (!longest || longest.size <= 8) break;
    const points = Array.from(longest.value);
    const next = points.slice(0, Math.max(1, Math.floor(points.length / 2) - 1)).join('') + CUT_MARK;
    (longest.parent as Record<string | number, unknown>)[longest.key] = next;
    cut = true;
  }
  return cut;
}

function collect(node: unknown, out: Leaf[]): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => {
      if (typeof v === 'string') out.push({ parent: node, key: i, value: v, size: eventLine(v).length });
      else collect(v, out);
    });
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') {
      if (!KEEP.has(k)) out.push({ parent: obj, key: k, value: v, size: eventLine(v).length });
    } else collect(v, out);
  }
}
