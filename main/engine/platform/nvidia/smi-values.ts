/**
 * Cell values as nvidia-smi prints them in CSV and XML. Where a number cannot be read it prints a
 * placeholder instead: `[N/A]`, `N/A`, `[Not Supported]` (old drivers), `[Unknown Error]`,
 * `[Requested functionality has been deprecated]`, `[Function Not Found]`, or nothing at all.
 */

/** True for the placeholders nvidia-smi prints where it has no value. */
export function isSmiPlaceholder(raw: string): boolean {
  const t = raw.trim();
  return t === '' || t === 'N/A' || t === '-' || (t.startsWith('[') && t.endsWith(']'));
}

const NUMBER_WITH_UNIT = /^(-?\d+(?:\.\d+)?)(?:\s*(?:%|MiB|MB|GiB|KiB|W|MHz|us|ms|C))?$/;

/**
 * Reads a number, with or without its unit (`2566 MiB`, `36 %`, `2566`). Placeholders give null;
 * anything else gives undefined, so callers can tell "not available" from "not what we expected".
 */
export function parseSmiNumber(raw: string | undefined): number | null | undefined {
  if (raw === undefined) return undefined;
  const t = raw.trim();
  const m = NUMBER_WITH_UNIT.exec(t);
  // 310+ digits overflow to Infinity: not a value nvidia-smi prints, so not what we expected.
  if (m) return Number.isFinite(Number(m[1])) ? Number(m[1]) : undefined;
  return isSmiPlaceholder(t) ? null : undefined;
}

/** Text cell: placeholders become null. */
export function parseSmiText(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const t = raw.trim();
  return isSmiPlaceholder(t) ? null : t;
}

/** Busiest of the engine utilisations that were measured; null when none was. */
export function busiest(values: ReadonlyArray<number | null | undefined>): number | null {
  let best: number | null = null;
  for (const v of values) {
    if (typeof v === 'number' && Number.isFinite(v)) best = best === null ? v : Math.max(best, v);
  }
  return best;
}
