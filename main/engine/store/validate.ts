/** Hand-written validation: every message names the field and shows what was found. */

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Thrown when the program itself tries to save something invalid. */
export class ValidationError extends Error {
  constructor(
    what: string,
    readonly errors: string[],
  ) {
    super(`${what} is invalid: ${errors.join('; ')}`);
    this.name = 'ValidationError';
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short rendering of a bad value for messages (attacker-controlled text is cut, not echoed whole). */
export function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Reads typed fields of one object, collecting an error per bad field. A missing field with a
 * fallback takes the fallback silently: fields added in a later release of the same file version.
 */
export class FieldReader {
  readonly errors: string[] = [];

  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly where: string,
  ) {}

  private name(field: string): string {
    return this.where ? `${this.where}.${field}` : field;
  }

  private missing(field: string): void {
    this.errors.push(`${this.name(field)} is missing`);
  }

  int(field: string, range: { min: number; max: number }, fallback?: number): number {
    const v = this.obj[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (v === undefined) this.missing(field);
    else if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
      this.errors.push(`${this.name(field)} must be a whole number from ${range.min} to ${range.max}, got ${shown(v)}`);
    } else return v;
    return fallback ?? range.min;
  }

  bool(field: string, fallback?: boolean): boolean {
    const v = this.obj[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'boolean') return v;
    if (v === undefined) this.missing(field);
    else this.errors.push(`${this.name(field)} must be true or false, got ${shown(v)}`);
    return fallback ?? false;
  }

  oneOf<T extends string>(field: string, values: readonly T[], fallback?: T): T {
    const v = this.obj[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    if (v === undefined) this.missing(field);
    else this.errors.push(`${this.name(field)} must be one of ${values.join(', ')}, got ${shown(v)}`);
    return fallback ?? (values[0] as T);
  }

  text(field: string, maxLength: number, fallback?: string): string {
    const v = this.obj[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v === 'string' && v.length <= maxLength) return v;
    if (v === undefined) this.missing(field);
    else if (typeof v === 'string') this.errors.push(`${this.name(field)} is longer than ${maxLength} characters`);
    else this.errors.push(`${this.name(field)} must be text, got ${shown(v)}`);
    return fallback ?? '';
  }

  /** Text or null (null is never taken from a missing field). */
  textOrNull(field: string, maxLength: number): string | null {
    if (this.obj[field] === null) return null;
    const v = this.obj[field];
    if (typeof v === 'string' && v.length <= maxLength) return v;
    if (v === undefined) this.missing(field);
    else this.errors.push(`${this.name(field)} must be text or null, got ${shown(v)}`);
    return null;
  }

  number(field: string, range: { min: number; max: number }): number {
    const v = this.obj[field];
    if (typeof v === 'number' && Number.isFinite(v) && v >= range.min && v <= range.max) return v;
    if (v === undefined) this.missing(field);
    else this.errors.push(`${this.name(field)} must be a number from ${range.min} to ${range.max}, got ${shown(v)}`);
    return range.min;
  }

  /** Raw access, for nested values validated by their own reader. */
  raw(field: string): unknown {
    return this.obj[field];
  }

  result<T>(value: T): Validation<T> {
    return this.errors.length === 0 ? { ok: true, value } : { ok: false, errors: this.errors };
  }
}
