/**
 * One quarantine item's record, `ID.json` beside its bytes `ID.bin`. One record per item rather
 * than one list of all: a record that is damaged is kept aside on its own and every other item
 * stays listed and restorable.
 */
import { join } from 'node:path';
import type { QuarantineItem, QuarantineKind } from '../../../shared/quarantine.js';
import type { StoreProblem } from '../../../shared/storage.js';
import { FieldReader, isRecord, type Validation } from '../store/validate.js';
import { loadVersionedJson, saveVersionedJson } from '../store/versioned-json.js';
import { isQuarantineId } from './ids.js';

export const ITEM_RECORD_VERSION = 1;
const KINDS: readonly QuarantineKind[] = ['line', 'file', 'executable'];
const SHA256 = /^[0-9a-f]{64}$/;
const CATEGORY = /^[a-z0-9][a-z0-9-]{0,39}$/;
const MAX_PATH = 8192;
const MAX_TEXT = 64 * 1024;
const TIME = { min: 0, max: 1e15 };
const SIZE = { min: 0, max: Number.MAX_SAFE_INTEGER };

export function recordPath(folder: string, id: string): string {
  return join(folder, `${id}.json`);
}

export function blobPath(folder: string, id: string): string {
  return join(folder, `${id}.bin`);
}

function hashAndSize(v: unknown, where: string, errors: string[]): { sha256: string; size: number } | null {
  if (!isRecord(v)) {
    errors.push(`${where} must be an object with sha256 and size`);
    return null;
  }
  const r = new FieldReader(v, where);
  const sha256 = r.text('sha256', 64);
  if (!SHA256.test(sha256)) r.errors.push(`${where}.sha256 must be 64 lower-case hex digits`);
  const size = r.int('size', SIZE);
  errors.push(...r.errors);
  return { sha256, size };
}

export function validateItem(doc: Record<string, unknown>, expectedId: string | null): Validation<QuarantineItem> {
  const r = new FieldReader(doc, '');
  const id = r.text('id', 64);
  if (!isQuarantineId(id)) r.errors.push(`id ${JSON.stringify(id.slice(0, 64))} is not a quarantine id`);
  else if (expectedId !== null && id !== expectedId)
    r.errors.push(`id ${id} does not match its file name (${expectedId})`);
  const kind = r.oneOf('kind', KINDS);
  const category = r.text('category', 40);
  if (!CATEGORY.test(category)) r.errors.push('category must be lower-case words and dashes');
  const path = r.text('path', MAX_PATH);
  const shownPath = r.text('shownPath', MAX_PATH);
  const mode = r.int('mode', { min: 0, max: 0o7777 });
  const uid = r.int('uid', { min: -1, max: 2 ** 32 });
  const gid = r.int('gid', { min: -1, max: 2 ** 32 });
  const atimeMs = r.number('atimeMs', TIME);
  const mtimeMs = r.number('mtimeMs', TIME);
  const sha256 = r.text('sha256', 64);
  if (!SHA256.test(sha256)) r.errors.push('sha256 must be 64 lower-case hex digits');
  const size = r.int('size', SIZE);
  let line: QuarantineItem['line'] = null;
  const rawLine = r.raw('line');
  if (rawLine !== null) {
    if (!isRecord(rawLine)) r.errors.push('line must be null or an object with number and text');
    else {
      const lr = new FieldReader(rawLine, 'line');
      line = { number: lr.int('number', { min: 1, max: 10_000_000 }), text: lr.text('text', MAX_TEXT) };
      r.errors.push(...lr.errors);
    }
  }
  const rawAfter = r.raw('after');
  const after = rawAfter === null ? null : hashAndSize(rawAfter, 'after', r.errors);
  if (kind === 'line' && (line === null || after === null)) r.errors.push('a line item needs line and after');
  const reason = r.text('reason', MAX_TEXT);
  const at = r.text('at', 40);
  if (Number.isNaN(Date.parse(at))) r.errors.push('at must be an ISO 8601 time');
  let by: QuarantineItem['by'] = { user: '', via: 'app' };
  const rawBy = r.raw('by');
  if (!isRecord(rawBy)) r.errors.push('by must be an object with user and via');
  else {
    const br = new FieldReader(rawBy, 'by');
    by = { user: br.text('user', 256), via: br.oneOf('via', ['app', 'cli'] as const) };
    r.errors.push(...br.errors);
  }
  const findingId = r.textOrNull('findingId', 1024);
  const reportStartedAt = r.textOrNull('reportStartedAt', 40);
  const importedFrom = r.textOrNull('importedFrom', MAX_PATH);
  return r.result({
    id,
    kind,
    category,
    path,
    shownPath,
    mode,
    uid,
    gid,
    atimeMs,
    mtimeMs,
    sha256,
    size,
    line,
    after,
    reason,
    at,
    by,
    findingId,
    reportStartedAt,
    importedFrom,
  });
}

/** Reads one record; a damaged one is moved aside (`ID.json.corrupt-TIME`) and reported, never deleted. */
export async function loadItem(
  folder: string,
  id: string,
  now?: () => number,
): Promise<{ item: QuarantineItem | null; problems: StoreProblem[] }> {
  const loaded = await loadVersionedJson<QuarantineItem | null>(
    recordPath(folder, id),
    { version: ITEM_RECORD_VERSION, validate: (doc) => validateItem(doc, id), defaults: () => null },
    now,
  );
  return { item: loaded.value, problems: loaded.problems };
}

export async function saveItem(folder: string, item: QuarantineItem): Promise<void> {
  await saveVersionedJson(recordPath(folder, item.id), ITEM_RECORD_VERSION, { ...item });
}
