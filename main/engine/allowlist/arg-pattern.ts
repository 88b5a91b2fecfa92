import type { ArgPattern } from '../../../shared/allowlist.js';
import { FieldReader, isRecord, shown, type Validation } from '../store/validate.js';

export const MAX_PATTERN_LENGTH = 512;

export { argPatternMatches, globMatches } from '../../../shared/arg-match.js';

export function validateArgPattern(v: unknown, where: string): Validation<ArgPattern> {
  if (!isRecord(v))
    return {
      ok: false,
      errors: [`${where} must be an object like {"kind":"substring","pattern":"--flag"}, got ${shown(v)}`],
    };
  const f = new FieldReader(v, where);
  const kind = f.oneOf('kind', ['substring', 'glob'] as const);
  const pattern = f.text('pattern', MAX_PATTERN_LENGTH);
  if (f.errors.length === 0 && pattern === '') f.errors.push(`${where}.pattern must not be empty`);
  return f.result({ kind, pattern });
}

/** The pattern in words, for explanations. */
export function describeArgPattern(p: ArgPattern): string {
  return p.kind === 'substring'
    ? `arguments containing ${JSON.stringify(p.pattern)}`
    : `a command line matching ${JSON.stringify(p.pattern)}`;
}
