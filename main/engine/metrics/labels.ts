/**
 * Label values from what processes say about themselves (names) are attacker-controlled: bounded
 * and stripped of control characters here, and escaped by prom-client when written, so that a
 * hostile name can neither forge a series nor blow up a scrape.
 */

/** Longest label value taken from a process (names; the kernel's own is 15 characters). */
export const MAX_LABEL_CHARS = 64;

/** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function labelText(s: string, max: number = MAX_LABEL_CHARS): string {
  const clean = s.replace(UNSAFE, '?');
  if (clean.length <= max) return clean;
  // Cut on a code point boundary: a lone surrogate is not valid UTF-8 in the exposition.
  return `${Array.from(clean.slice(0, max))
    .slice(0, max - 1)
    .join('')
    .replace(/[\ud800-\udbff]$/, '')}…`;
}

/** The short form of an executable's SHA-256 used as a label: 12 hex digits (48 bits). */
export function shortHash(sha256: string | null): string {
  return sha256 && /^[0-9a-f]{64}$/.test(sha256) ? sha256.slice(0, 12) : '';
}
