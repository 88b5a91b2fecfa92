/**
 * Text that reaches the tray and notifications comes partly from processes on the machine (their
 * names, paths and command lines), so an attacker chooses it. Before it is shown it loses control
 * characters, line breaks, bidirectional overrides (a name with U+202E reads backwards) and
 * invisible characters, and it is cut to a length the OS shows whole.
 */

// Controls (C0, C1, DEL: Cc), format characters (Cf: bidi marks, embeddings, overrides and
// isolates, zero-width characters, the BOM, the soft hyphen) and the line/paragraph separators.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** One line of plain text: unsafe characters become spaces, runs of whitespace one space, trimmed. */
export function cleanLine(text: string): string {
  return String(text).replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
}

/** Cuts to at most `max` characters (code points, never half a surrogate pair), ending with "…". */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars
    .slice(0, Math.max(0, max - 1))
    .join('')
    .trimEnd()}…`;
}

/** Keeps the start and the last `keepEnd` characters, "…" between: for "NAME may be mining …" titles. */
export function truncateMiddle(text: string, max: number, keepEnd: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const tail = Math.min(keepEnd, max - 2);
  const head = max - 1 - tail;
  return `${chars.slice(0, head).join('').trimEnd()}…${chars.slice(chars.length - tail).join('')}`;
}

/** cleanLine then truncate: what the tray and notifications show of untrusted text. */
export function safeText(text: string, max: number): string {
  return truncate(cleanLine(text), max);
}
