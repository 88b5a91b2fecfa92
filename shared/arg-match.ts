/**
 * Matching an allowlist argument pattern against a command line. Shared so the window can tell the
 * user, before the engine does, that a pattern would cover any script an interpreter runs.
 */
import type { ArgPattern } from './allowlist.js';

/**
 * Whether the command line matches. Globs are matched by hand, never compiled to a RegExp: a
 * pattern from an imported file must not be able to make matching slow. The greedy segment match
 * below is linear in the command line for each segment, O(command line × pattern) at worst.
 */
export function argPatternMatches(p: ArgPattern, cmdline: string): boolean {
  if (p.kind === 'substring') return cmdline.includes(p.pattern);
  return globMatches(p.pattern, cmdline);
}

/** Whole-string glob: `*` any run of characters (also none), `?` exactly one; nothing else is special. */
export function globMatches(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  if (parts.length === 1) return text.length === first.length && segmentAt(text, 0, first);
  const last = parts[parts.length - 1] ?? '';
  if (first.length + last.length > text.length) return false;
  if (!segmentAt(text, 0, first) || !segmentAt(text, text.length - last.length, last)) return false;
  // Middle segments, each at its leftmost place after the previous one: leftmost is always
  // safe for a glob, so no backtracking is ever needed.
  let pos = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const seg = parts[i] ?? '';
    if (seg === '') continue;
    const at = findSegment(text, pos, end, seg);
    if (at < 0) return false;
    pos = at + seg.length;
  }
  return true;
}

function segmentAt(text: string, at: number, seg: string): boolean {
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== text.charCodeAt(at + i)) return false;
  }
  return true;
}

function findSegment(text: string, from: number, end: number, seg: string): number {
  for (let at = from; at + seg.length <= end; at++) if (segmentAt(text, at, seg)) return at;
  return -1;
}
