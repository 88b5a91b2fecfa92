/**
 * The quarantine (issue 12): every removal Idlewatch makes is kept here first, so that it can be
 * put back. It lives in the data folder, `quarantine/` (0700), one record `ID.json` and the bytes
 * `ID.bin` (both 0600) per item.
 *
 * Order of work, so that a crash at any point loses nothing: the bytes are stored and flushed, then
 * the record, and only then is the target changed (a line removed, a file unlinked). A crash before
 * the change leaves an item whose target still holds those bytes; restoring it says so and drops
 * the item. Restore writes a new file beside the target and renames (or, where nothing may be in the
 * way, links) it into place, after checking that the target is still exactly what Idlewatch left.
 */
import { chmod, link, mkdir, readdir, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type {
  DeleteResult,
  QuarantineActor,
  QuarantineFailureCode,
  QuarantineItem,
  QuarantineKind,
  QuarantineListing,
  QuarantineResult,
  RestoreResult,
} from '../../../shared/quarantine.js';
import type { StoreProblem } from '../../../shared/storage.js';
import { isReadRefusal } from '../scan/safe-read.js';
import { MAX_TEXT_FILE } from '../scan/scan-context.js';
import {
  createFile,
  type FileFacts,
  factsAt,
  openVerified,
  ownerToSet,
  readAllFrom,
  sameFile,
  sha256Of,
  syncFolder,
  tempBeside,
  writeAll,
} from './file-io.js';
import { currentActor, isQuarantineId, newQuarantineId } from './ids.js';
import { blobPath, loadItem, recordPath, saveItem } from './item-record.js';
import { withoutLine } from './lines.js';

export const QUARANTINE_FOLDER = 'quarantine';
/** Largest whole file (a program) the quarantine takes; miners are a few MB, this leaves room. */
export const MAX_QUARANTINE_FILE = 512 * 1024 * 1024;

export interface QuarantineOrigin {
  /** Lower-case words and dashes: a persistence kind, `executable`, `hosts`, … */
  category: string;
  /** Why, in a sentence the user will read in the list. */
  reason: string;
  findingId?: string | null;
  reportStartedAt?: string | null;
}

export interface QuarantineLineRequest extends QuarantineOrigin {
  /** The file as the report named it; links are resolved and the real file edited. */
  path: string;
  /** 1-based. */
  line: number;
  /** The line's text as reported (UTF-8, no line end): the line must still be exactly this. */
  text: string;
  /** The whole file as the report saw it; when given, a file that differs is refused. */
  expect?: { sha256: string; size: number } | null;
}

export interface QuarantineFileRequest extends QuarantineOrigin {
  path: string;
  kind?: Exclude<QuarantineKind, 'line'>;
  /** What the report saw; each field given must match. */
  expect?: { sha256?: string | null; size?: number | null } | null;
  maxBytes?: number;
}

export interface QuarantineStoreOptions {
  /** Who is asking: recorded with every item. Default: this process's user, via `via`. */
  actor?: QuarantineActor;
  /** Through which part of Idlewatch (default the app). */
  via?: QuarantineActor['via'];
  now?: () => Date;
}

type Failure = Extract<QuarantineResult, { ok: false }>;

function fail(code: QuarantineFailureCode, reason: string): Failure {
  return { ok: false, code, reason };
}

function errText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const msg = e instanceof Error ? e.message : String(e);
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** A read that was refused or failed, as a quarantine failure naming the file. */
function readFailure(e: unknown, shown: string, file: string): Failure {
  if (isReadRefusal(e)) {
    const what = file === shown ? e.message : `${shown} leads to ${file}, which ${e.what}`;
    const code = e.code === 'ECHANGED' || e.code === 'ELOOP' ? 'changed' : 'refused';
    return fail(code, `${what}; nothing was removed`);
  }
  if ((e as NodeJS.ErrnoException).code === 'ENOENT')
    return fail('changed', `${shown} is no longer there; nothing was removed`);
  return fail('failed', `cannot read ${file}: ${errText(e)}; nothing was removed`);
}

class StoredCopyDamaged extends Error {}

export class QuarantineStore {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly actor: QuarantineActor;
  private readonly now: () => Date;

  private constructor(
    /** `DATA/quarantine`. */
    readonly folder: string,
    opts: QuarantineStoreOptions,
  ) {
    this.actor = opts.actor ?? currentActor(opts.via ?? 'app');
    this.now = opts.now ?? (() => new Date());
  }

  /** Opens (creating if needed) the quarantine of a data folder; its folder is made private to the user. */
  static async open(dataDir: string, opts: QuarantineStoreOptions = {}): Promise<QuarantineStore> {
    const folder = join(dataDir, QUARANTINE_FOLDER);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone: the copies in it are the user's files.
    if (process.platform !== 'win32') await chmod(folder, 0o700);
    return new QuarantineStore(folder, opts);
  }

  /** One operation at a time, in the order asked (two restores of one item must not race). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- reading -------------------------------------------------------------------------------------

  /** Every item, newest first, and what could not be read (damaged records are kept aside and named). */
  list(): Promise<QuarantineListing> {
    return this.serial(() => this.readAll());
  }

  private async readAll(): Promise<QuarantineListing> {
    const names = await readdir(this.folder).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[];
      throw e;
    });
    const items: QuarantineItem[] = [];
    const problems: StoreProblem[] = [];
    const records = new Set<string>();
    for (const name of names) {
      const m = /^(.+)\.json$/.exec(name);
      const id = m?.[1];
      if (id === undefined || !isQuarantineId(id)) continue;
      const { item, problems: p } = await loadItem(this.folder, id, () => this.now().getTime());
      problems.push(
        ...p.map((x) => ({
          ...x,
          problem: `${x.problem.replace(/ and defaults are used$/, '')}; the stored bytes ${id}.bin are kept`,
        })),
      );
      if (item) {
        records.add(id);
        items.push(item);
      }
    }
    const blobs = new Set(names.filter((n) => n.endsWith('.bin')).map((n) => n.slice(0, -4)));
    for (const item of items) {
      if (!blobs.has(item.id)) {
        problems.push({
          file: blobPath(this.folder, item.id),
          problem: `the stored bytes of ${item.shownPath} are missing; this item cannot be restored`,
          movedTo: null,
        });
      }
    }
    for (const id of blobs) {
      if (records.has(id) || !isQuarantineId(id)) continue;
      problems.push({
        file: blobPath(this.folder, id),
        problem: 'stored bytes without a readable record (kept; its record is damaged, or a removal was cut short)',
        movedTo: null,
      });
    }
    items.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return { items, problems, folder: this.folder };
  }

  async get(id: string): Promise<QuarantineItem | null> {
    if (!isQuarantineId(id)) return null;
    return this.serial(async () => (await loadItem(this.folder, id)).item);
  }

  // ---- removing ------------------------------------------------------------------------------------

  /**
   * Removes one line of a text file, keeping the whole file as it was. Refused (nothing changed)
   * when the file, or that line, is not what the report saw.
   */
  quarantineLine(req: QuarantineLineRequest): Promise<QuarantineResult> {
    return this.serial(() => this.doLine(req));
  }

  /** Moves a whole file (a program, a dropped script) into the quarantine. */
  quarantineFile(req: QuarantineFileRequest): Promise<QuarantineResult> {
    return this.serial(() => this.doFile(req));
  }

  private base(origin: QuarantineOrigin, shownPath: string, path: string, facts: FileFacts) {
    const at = this.now();
    return {
      id: newQuarantineId(at),
      category: origin.category,
      path,
      shownPath,
      mode: facts.mode,
      uid: facts.uid,
      gid: facts.gid,
      atimeMs: facts.atimeMs,
      mtimeMs: facts.mtimeMs,
      reason: origin.reason,
      at: at.toISOString(),
      by: { ...this.actor },
      findingId: origin.findingId ?? null,
      reportStartedAt: origin.reportStartedAt ?? null,
      importedFrom: null,
    };
  }

  private async doLine(req: QuarantineLineRequest): Promise<QuarantineResult> {
    let file: string;
    try {
      // A dotfile is often a link into a dotfiles repository: edit the file, keep the link.
      file = await realpath(req.path);
    } catch (e) {
      return readFailure(e, req.path, req.path);
    }
    let before: Buffer;
    let facts: FileFacts;
    try {
      ({ data: before, facts } = await readWhole(file, MAX_TEXT_FILE));
    } catch (e) {
      return readFailure(e, req.path, file);
    }
    const sha = sha256Of(before);
    if (req.expect && (sha !== req.expect.sha256 || before.length !== req.expect.size)) {
      return fail(
        'changed',
        `${file} changed since the scan; nothing was removed. Scan again and review the entry before removing it`,
      );
    }
    const after = withoutLine(before, req.line, req.text);
    if (!after) return fail('changed', `line ${req.line} of ${file} is not the reported entry; nothing was removed`);
    const item: QuarantineItem = {
      ...this.base(req, req.path, file, facts),
      kind: 'line',
      sha256: sha,
      size: before.length,
      line: { number: req.line, text: req.text },
      after: { sha256: sha256Of(after), size: after.length },
    };
    const kept = await this.keep(item, (fh) => writeAll(fh, before));
    if (kept) return kept;
    const tmp = tempBeside(file);
    try {
      // Same mode and owner as the file it replaces: a user's crontab stays theirs, rc.local executable.
      await createFile(tmp, (fh) => writeAll(fh, after), {
        mode: facts.mode,
        owner: process.getuid?.() === 0 ? { uid: facts.uid, gid: facts.gid } : null,
        times: null,
      });
    } catch (e) {
      await this.drop(item.id);
      return fail('failed', `cannot rewrite ${file}: ${errText(e)}; it is unchanged`);
    }
    // Last look before the swap: a write since the read would be lost by the rename, and a link
    // swapped into the path since it was resolved would send the edit somewhere else.
    const still = await realpath(file).catch(() => null);
    const now = still === file ? await readWhole(file, MAX_TEXT_FILE).catch(() => null) : null;
    if (!now || now.facts.dev !== facts.dev || now.facts.ino !== facts.ino || !now.data.equals(before)) {
      await unlink(tmp).catch(() => {});
      await this.drop(item.id);
      return fail('changed', `${file} changed while the entry was being removed; nothing was removed`);
    }
    try {
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      await this.drop(item.id);
      return fail('failed', `cannot rewrite ${file}: ${errText(e)}; it is unchanged`);
    }
    await syncFolder(dirname(file));
    return { ok: true, item, detail: `removed line ${req.line} of ${file}; kept in quarantine as ${item.id}` };
  }

  private async doFile(req: QuarantineFileRequest): Promise<QuarantineResult> {
    let file: string;
    try {
      file = await realpath(req.path);
    } catch (e) {
      return readFailure(e, req.path, req.path);
    }
    const maxBytes = req.maxBytes ?? MAX_QUARANTINE_FILE;
    let opened: Awaited<ReturnType<typeof openVerified>>;
    try {
      opened = await openVerified(file, maxBytes);
    } catch (e) {
      return readFailure(e, req.path, file);
    }
    const { fh: src, facts } = opened;
    const at = this.base(req, req.path, file, facts);
    const blob = blobPath(this.folder, at.id);
    let sha: string;
    try {
      let written = 0;
      await createFile(
        blob,
        async (out) => {
          sha = await readAllFrom(src, file, facts.size, async (chunk) => {
            await out.write(chunk, 0, chunk.length, written);
            written += chunk.length;
          });
        },
        { mode: 0o600, owner: null, times: null },
      );
    } catch (e) {
      return readFailure(e, req.path, file);
    } finally {
      await src.close();
    }
    sha = sha!;
    const exp = req.expect;
    if (exp && ((exp.sha256 && exp.sha256.toLowerCase() !== sha) || (exp.size != null && exp.size !== facts.size))) {
      await unlink(blob).catch(() => {});
      return fail(
        'changed',
        `${file} is not the file the report saw (its SHA-256 or size differs); nothing was removed`,
      );
    }
    const item: QuarantineItem = {
      ...at,
      kind: req.kind ?? 'file',
      sha256: sha,
      size: facts.size,
      line: null,
      after: null,
    };
    try {
      await saveItem(this.folder, item);
    } catch (e) {
      await unlink(blob).catch(() => {});
      return fail('failed', `cannot keep ${file} in the quarantine: ${errText(e)}; nothing was removed`);
    }
    // The path must still be that very file, unwritten since it was copied, before it goes.
    const still = await realpath(file).catch(() => null);
    const now = still === file ? await factsAt(file).catch(() => null) : null;
    if (!now?.isFile || now.isLink || !sameFile(now, facts)) {
      await this.drop(item.id);
      return fail('changed', `${file} changed while it was being quarantined; nothing was removed`);
    }
    try {
      await unlink(file);
    } catch (e) {
      await this.drop(item.id);
      return fail('failed', `cannot remove ${file}: ${errText(e)}; it is unchanged`);
    }
    await syncFolder(dirname(file));
    return { ok: true, item, detail: `moved ${file} into the quarantine as ${item.id}` };
  }

  /** Stores the bytes, then the record; on failure nothing is left and the reason is returned. */
  private async keep(item: QuarantineItem, fill: Parameters<typeof createFile>[1]): Promise<Failure | null> {
    const blob = blobPath(this.folder, item.id);
    try {
      await createFile(blob, fill, { mode: 0o600, owner: null, times: null });
      await saveItem(this.folder, item);
      await syncFolder(this.folder);
      return null;
    } catch (e) {
      await unlink(blob).catch(() => {});
      return fail(
        'failed',
        `cannot keep ${item.path} in the quarantine (${this.folder}): ${errText(e)}; nothing was removed`,
      );
    }
  }

  /** Forgets an item: the record first, so a crash between leaves bytes (reported), never a record without them. */
  private async drop(id: string): Promise<void> {
    await unlink(recordPath(this.folder, id)).catch(() => {});
    await unlink(blobPath(this.folder, id)).catch(() => {});
    await syncFolder(this.folder);
  }

  /** Keeps an item made elsewhere (an imported backup) whose bytes are `data`. */
  adopt(item: QuarantineItem, data: Buffer): Promise<Failure | null> {
    return this.serial(() => this.keep(item, (fh) => writeAll(fh, data)));
  }

  // ---- restoring and deleting ------------------------------------------------------------------------

  /**
   * Puts an item back exactly as it was (bytes, mode, owner where permitted, times). A line item's
   * file must still be exactly what Idlewatch left; a whole file is re-created only where nothing
   * is in its place. Nothing is overwritten that changed since: that is refused, and said.
   */
  restore(id: string): Promise<RestoreResult> {
    return this.serial(() => this.doRestore(id));
  }

  private async doRestore(id: string): Promise<RestoreResult> {
    const item = isQuarantineId(id) ? (await loadItem(this.folder, id)).item : null;
    if (!item)
      return { ok: false, id, code: 'unknown-item', reason: `no quarantine item ${JSON.stringify(id.slice(0, 80))}` };
    const conflict = (reason: string): RestoreResult => ({ ok: false, id, code: 'conflict', reason });
    const failed = (reason: string): RestoreResult => ({ ok: false, id, code: 'failed', reason });
    const path = item.path;
    let here: Awaited<ReturnType<typeof factsAt>>;
    try {
      here = await factsAt(path);
    } catch (e) {
      return failed(`cannot look at ${path}: ${errText(e)}; nothing was restored`);
    }
    let current: { data: Buffer; facts: FileFacts } | null = null;
    if (here) {
      if (here.isLink) return conflict(`${path} is now a link; nothing was restored`);
      if (!here.isFile) return conflict(`${path} is no longer a regular file; nothing was restored`);
      // What is there now is compared, never overwritten unless it is exactly what Idlewatch left.
      const expected = item.after;
      if (here.size === item.size || (expected && here.size === expected.size)) {
        try {
          current = await readWhole(path, Math.max(item.size, expected?.size ?? 0));
        } catch (e) {
          return conflict(
            `${path} cannot be compared (${isReadRefusal(e) ? e.what : errText(e)}); nothing was restored`,
          );
        }
        const sha = sha256Of(current.data);
        if (sha === item.sha256) {
          await this.drop(id);
          return {
            ok: true,
            id,
            path,
            detail: `${path} already holds the quarantined bytes; the item is removed`,
            notes: [],
          };
        }
        if (!expected || sha !== expected.sha256) current = null;
      }
      if (!current) {
        return conflict(
          expected
            ? `${path} changed since Idlewatch removed ${item.line ? `line ${item.line.number}` : 'its content'}; restoring would overwrite those changes, so nothing was restored`
            : `${path} exists again (a different file); restoring would overwrite it, so nothing was restored`,
        );
      }
    }
    const dir = dirname(path);
    const folderHere = await factsAt(dir).catch(() => null);
    if (!folderHere) return conflict(`the folder ${dir} no longer exists; nothing was restored`);
    const { owner, note } = ownerToSet(item.uid, item.gid);
    const tmp = tempBeside(path);
    try {
      const stored = await openVerified(blobPath(this.folder, id), item.size);
      try {
        let written = 0;
        await createFile(
          tmp,
          async (out) => {
            const sha = await readAllFrom(stored.fh, blobPath(this.folder, id), item.size, async (chunk) => {
              await out.write(chunk, 0, chunk.length, written);
              written += chunk.length;
            });
            if (sha !== item.sha256) throw new StoredCopyDamaged();
          },
          { mode: item.mode, owner, times: { atimeMs: item.atimeMs, mtimeMs: item.mtimeMs } },
        );
      } finally {
        await stored.fh.close();
      }
    } catch (e) {
      if (e instanceof StoredCopyDamaged || isReadRefusal(e)) {
        return failed(
          `the stored copy ${blobPath(this.folder, id)} is damaged (its SHA-256 or size differs); nothing was restored`,
        );
      }
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return failed(`the stored copy ${blobPath(this.folder, id)} is missing; nothing was restored`);
      }
      return failed(`cannot write beside ${path}: ${errText(e)}; nothing was restored`);
    }
    try {
      if (current) {
        const now = await factsAt(path).catch(() => null);
        if (!now || now.isLink || !sameFile(now, current.facts)) {
          await unlink(tmp).catch(() => {});
          return conflict(`${path} changed while it was being restored; nothing was restored`);
        }
        await rename(tmp, path);
      } else {
        await placeNew(tmp, path);
      }
    } catch (e) {
      await unlink(tmp).catch(() => {});
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        return conflict(`${path} appeared while it was being restored; nothing was restored`);
      }
      return failed(`cannot restore ${path}: ${errText(e)}; nothing was restored`);
    }
    await syncFolder(dir);
    await this.drop(id);
    const what = item.kind === 'line' && item.line ? `line ${item.line.number} is back in ${path}` : `${path} is back`;
    return { ok: true, id, path, detail: `${what}, with its mode, owner and times`, notes: note ? [note] : [] };
  }

  /** Deletes an item for good: its bytes are gone after this. */
  delete(id: string): Promise<DeleteResult> {
    return this.serial(async () => {
      if (!isQuarantineId(id))
        return { ok: false, id, code: 'unknown-item', reason: `no quarantine item ${JSON.stringify(id.slice(0, 80))}` };
      try {
        await unlink(recordPath(this.folder, id));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          return { ok: false, id, code: 'unknown-item', reason: `no quarantine item ${id}` };
        }
        return { ok: false, id, code: 'failed', reason: `cannot delete ${id}: ${errText(e)}` };
      }
      await unlink(blobPath(this.folder, id)).catch(() => {});
      await syncFolder(this.folder);
      return { ok: true, id };
    });
  }
}

/** A whole regular file (not a link), read through one verified handle. */
export async function readWhole(path: string, maxBytes: number): Promise<{ data: Buffer; facts: FileFacts }> {
  const { fh, facts } = await openVerified(path, maxBytes);
  try {
    const parts: Buffer[] = [];
    await readAllFrom(fh, path, facts.size, (c) => {
      parts.push(Buffer.from(c));
    });
    return { data: Buffer.concat(parts), facts };
  } finally {
    await fh.close();
  }
}

/**
 * Puts `tmp` at `path` only if nothing is there: a hard link fails with EEXIST rather than replace
 * what appeared meanwhile. Where hard links are not supported (FAT, some network shares), a rename
 * after one more look.
 */
async function placeNew(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
    await unlink(tmp);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw e;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw e;
  }
  if (await factsAt(path)) throw Object.assign(new Error(`${basename(path)} exists`), { code: 'EEXIST' });
  await rename(tmp, path);
}
