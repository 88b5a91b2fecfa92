/**
 * Lines of a text file as bytes: every line keeps its own terminator, so removing one line leaves
 * every other byte of the file as it was. latin1 maps each byte to one character and back, so no
 * decoding can change bytes that are not valid UTF-8.
 */

export function splitKeepingEnds(data: Buffer): string[] {
  return data.toString('latin1').match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** A line's text as the scan reports it: UTF-8, without its `\n` or `\r\n`. */
export function lineText(raw: string): string {
  return Buffer.from(raw.replace(/\r?\n$/, ''), 'latin1').toString('utf8');
}

/** The file without its `number`th line (1-based); null when it has no such line or the line's text is not `text`. */
export function withoutLine(data: Buffer, number: number, text: string): Buffer | null {
  const lines = splitKeepingEnds(data);
  const target = lines[number - 1];
  if (target === undefined || lineText(target) !== text) return null;
  lines.splice(number - 1, 1);
  return Buffer.from(lines.join(''), 'latin1');
}

/**
 * The one line whose removal turns `before` into `after`, if exactly one does (how an older
 * Idlewatch's backup beside a file is matched to the line it removed).
 */
export function removedLine(before: Buffer, after: Buffer): { number: number; text: string } | null {
  const a = splitKeepingEnds(before);
  const b = splitKeepingEnds(after);
  if (a.length !== b.length + 1) return null;
  let i = 0;
  while (i < b.length && a[i] === b[i]) i++;
  for (let j = i; j < b.length; j++) if (a[j + 1] !== b[j]) return null;
  const raw = a[i];
  if (raw === undefined) return null;
  // The last line without a terminator, removed: the line before it loses nothing, so compare bytes.
  const rebuilt = Buffer.from([...a.slice(0, i), ...a.slice(i + 1)].join(''), 'latin1');
  if (!rebuilt.equals(after)) return null;
  return { number: i + 1, text: lineText(raw) };
}
