import type { AllowlistEntry } from '../../../shared/allowlist.js';
import { FieldReader, isRecord, shown, type Validation } from '../store/validate.js';
import { validateArgPattern } from './arg-pattern.js';
import { normaliseExePath } from './exe-path.js';

export const MAX_REASON_LENGTH = 500;
export const MAX_NOTE_LENGTH = 2000;
export const MAX_ENTRIES = 10_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks a SHA-256 given by a user or a file: 64 hex digits, stored lower-case. */
export function normaliseSha256(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const lower = v.toLowerCase();
  return SHA256_HEX.test(lower) ? lower : null;
}

/** One stored or imported entry, with its path normalised for `platform`. */
export function validateEntry(v: unknown, where: string, platform: NodeJS.Platform): Validation<AllowlistEntry> {
  if (!isRecord(v)) return { ok: false, errors: [`${where} must be an object, got ${shown(v)}`] };
  const f = new FieldReader(v, where);
  const id = f.text('id', 64);
  if (f.errors.length === 0 && id === '') f.errors.push(`${where}.id must not be empty`);
  let exe = '';
  const rawExe = f.raw('exe');
  if (typeof rawExe !== 'string') f.errors.push(`${where}.exe must be text, got ${shown(rawExe)}`);
  else {
    const n = normaliseExePath(rawExe, platform);
    if (n.ok) exe = n.path;
    else f.errors.push(`${where}.exe ${n.error}`);
  }
  let sha256: string | null = null;
  const rawSha = f.raw('sha256');
  if (rawSha !== null && rawSha !== undefined) {
    sha256 = normaliseSha256(rawSha);
    if (sha256 === null) f.errors.push(`${where}.sha256 must be 64 hexadecimal digits or null, got ${shown(rawSha)}`);
  }
  let args: AllowlistEntry['args'] = null;
  const rawArgs = f.raw('args');
  if (rawArgs !== null && rawArgs !== undefined) {
    const a = validateArgPattern(rawArgs, `${where}.args`);
    if (a.ok) args = a.value;
    else f.errors.push(...a.errors);
  }
  const reason = f.text('reason', MAX_REASON_LENGTH, '');
  const note = f.text('note', MAX_NOTE_LENGTH, '');
  const addedAt = f.number('addedAt', { min: 0, max: 8.64e15 });
  return f.result({ id, exe, sha256, args, reason, note, addedAt });
}

/** A list of entries (a stored file's or an import's), with unique ids. */
export function validateEntries(v: unknown, where: string, platform: NodeJS.Platform): Validation<AllowlistEntry[]> {
  if (!Array.isArray(v)) return { ok: false, errors: [`${where} must be a list, got ${shown(v)}`] };
  if (v.length > MAX_ENTRIES)
    return { ok: false, errors: [`${where} has ${v.length} entries; at most ${MAX_ENTRIES} are allowed`] };
  const errors: string[] = [];
  const out: AllowlistEntry[] = [];
  const ids = new Set<string>();
  v.forEach((raw, i) => {
    const e = validateEntry(raw, `${where}[${i}]`, platform);
    if (!e.ok) {
      errors.push(...e.errors);
      return;
    }
    if (ids.has(e.value.id)) errors.push(`${where}[${i}].id ${JSON.stringify(e.value.id)} is used twice`);
    ids.add(e.value.id);
    out.push(e.value);
  });
  return errors.length === 0 ? { ok: true, value: out } : { ok: false, errors };
}
