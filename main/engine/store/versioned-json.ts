import { link, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import type { StoreProblem } from '../../../shared/storage.js';
import { type AtomicWriteFs, removeStaleTemps, writeFileAtomic } from './atomic-write.js';
import { isRecord, type Validation } from './validate.js';

/** How one JSON data file is read: its current version, a validator for its content, its defaults. */
export interface VersionedFileSpec<T> {
  version: number;
  /** Validates the whole document (the `version` field already checked). */
  validate(doc: Record<string, unknown>): Validation<T>;
  defaults(): T;
}

export interface Loaded<T> {
  value: T;
  problems: StoreProblem[];
}

/**
 * Reads a versioned JSON file. Missing: the defaults, no problem. Unreadable, not JSON, truncated,
 * wrong types or written by a newer Idlewatch: the file is moved aside as `NAME.corrupt-<time>`
 * (kept for the user, never deleted), the problem is reported, and the defaults are used, so a
 * later save cannot silently overwrite what the user had.
 */
export async function loadVersionedJson<T>(
  path: string,
  spec: VersionedFileSpec<T>,
  now: () => number = Date.now,
): Promise<Loaded<T>> {
  await removeStaleTemps(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { value: spec.defaults(), problems: [] };
    // Not corrupt, just unreadable (permissions, a folder in its place): left where it is.
    return {
      value: spec.defaults(),
      problems: [
        {
          file: path,
          problem: `could not be read (${code ?? (e as Error).message}); defaults are used`,
          movedTo: null,
        },
      ],
    };
  }
  const problem = checkDocument(text, spec);
  if (problem.ok) return { value: problem.value, problems: [] };
  const moved = await moveAside(path, now());
  const kept = moved.movedTo
    ? `; it was kept as ${basename(moved.movedTo)} and defaults are used`
    : `; it could not be moved aside (${moved.error}) and defaults are used`;
  return {
    value: spec.defaults(),
    problems: [{ file: path, problem: `${problem.error}${kept}`, movedTo: moved.movedTo }],
  };
}

/** Checks a versioned JSON document's text without touching the file (a reload that keeps what it had on error). */
export function checkDocument<T>(
  text: string,
  spec: VersionedFileSpec<T>,
): { ok: true; value: T } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: false, error: 'the file is empty (a save was cut short)' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const truncated = /end of (JSON|data)|Unterminated/i.test(msg);
    return { ok: false, error: truncated ? `the file is truncated (${msg})` : `the file is not valid JSON (${msg})` };
  }
  if (!isRecord(doc)) return { ok: false, error: 'the file is not a JSON object' };
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, error: 'the file has no valid "version" field' };
  }
  if (version > spec.version) {
    return {
      ok: false,
      error: `the file was written by a newer Idlewatch (file version ${version}; this version reads up to ${spec.version})`,
    };
  }
  if (version !== spec.version) return { ok: false, error: `file version ${version} is not one this Idlewatch knows` };
  const v = spec.validate(doc);
  return v.ok ? v : { ok: false, error: v.errors.join('; ') };
}

/** Writes `{ "version": N, ...body }` atomically (see writeFileAtomic). */
export async function saveVersionedJson(
  path: string,
  version: number,
  body: Record<string, unknown>,
  fs?: AtomicWriteFs,
): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ version, ...body }, null, 2)}\n`, fs);
}

/**
 * Moves a bad file to `NAME.corrupt-<UTC time>` (with `-2`, `-3`… if that exists). A hard link
 * then unlink never replaces an existing file; where links are not supported, a checked rename.
 */
export async function moveAside(path: string, atMs: number): Promise<{ movedTo: string | null; error?: string }> {
  const stamp = new Date(atMs).toISOString().replace(/[-:.]/g, '');
  for (let n = 1; n <= 100; n++) {
    const dest = `${path}.corrupt-${stamp}${n === 1 ? '' : `-${n}`}`;
    let linked = false;
    try {
      await link(path, dest);
      linked = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
    }
    try {
      if (linked) await unlink(path);
      else {
        if (await exists(dest)) continue;
        await rename(path, dest);
      }
      return { movedTo: dest };
    } catch (e) {
      // Undo the extra name, so the file is either moved or left exactly as it was.
      if (linked) await unlink(dest).catch(() => {});
      return { movedTo: null, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
  }
  return { movedTo: null, error: 'too many earlier copies with the same time' };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
