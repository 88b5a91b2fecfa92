/**
 * Removing one persistence line the scan reported (a crontab job, an ExecStart=, an ld.so.preload
 * entry): only after the user confirmed, only if the file is byte-for-byte what the scan read,
 * with a backup next to the file first, and by an atomic rename so cron, systemd or the dynamic
 * loader never see a half-written file.
 *
 * The file may have been replaced since the scan by anything (a FIFO, a link to /dev/zero, a huge
 * file): it is read only through safe-read, after its links are resolved, and as a file that is
 * not a link; the backup is written from those verified bytes, never copied through the path; and
 * just before the swap the path must still resolve to the same file with the same bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, realpath, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PersistenceKind, RemoveResult, ScanFinding } from '../../../shared/scan.js';
import { isReadRefusal, type SafeFile, safeReadFile } from './safe-read.js';
import { MAX_TEXT_FILE } from './scan-context.js';

/** Kinds whose entries are lines of a file that can go without breaking the rest of the file. */
export const REMOVABLE_KINDS: ReadonlySet<PersistenceKind> = new Set([
  'crontab',
  'systemd',
  'autostart',
  'rc-local',
  'shell-rc',
  'ld-preload',
]);

export type { RemoveResult };

export interface RemoveOptions {
  /** Must be true: the user confirmed this removal. */
  confirm: boolean;
  now?: () => Date;
}

/** `20250102T030405123Z`: sortable, and valid in a file name on every system. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}

/** Lines with their terminators, so everything but the removed line is kept byte for byte. */
function splitKeepingEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Removes the finding's line from its file. The backup is `.NAME.idlewatch-backup-STAMP` beside it,
 * readable by its owner only: hidden and with a name that cron (run-parts names), systemd (unit
 * suffixes), the autostart spec (.desktop) and profile.d (.sh) all ignore, so the backup never runs.
 */
export async function removePersistenceEntry(finding: ScanFinding, opts: RemoveOptions): Promise<RemoveResult> {
  const p = finding.persistence;
  if (!opts.confirm) return { ok: false, code: 'not-confirmed', reason: 'the removal was not confirmed' };
  if (!p || p.file === null || p.line === null || !p.fileState || !REMOVABLE_KINDS.has(p.kind)) {
    return {
      ok: false,
      code: 'not-removable',
      reason: 'this entry is not a line of a file that Idlewatch can edit; see the suggested manual steps',
    };
  }
  const { line, fileState } = p;
  let file: string;
  try {
    // A dotfile is often a symlink into a dotfiles repository: edit the file, keep the link.
    file = await realpath(p.file);
  } catch (e) {
    return { ok: false, code: 'changed', reason: `${p.file} is no longer there (${(e as Error).message})` };
  }
  let read: SafeFile;
  try {
    // Links resolved above: a link here is one swapped in since, and is not followed.
    read = await safeReadFile(file, { maxBytes: MAX_TEXT_FILE, noFollow: true });
  } catch (e) {
    if (isReadRefusal(e)) {
      const what = file === p.file ? e.message : `${p.file} leads to ${file}, which ${e.what}`;
      return { ok: false, code: 'changed', reason: `${what}; nothing was removed` };
    }
    return { ok: false, code: 'failed', reason: `cannot read ${file}: ${(e as Error).message}` };
  }
  const before = read.data;
  const mode = read.mode & 0o7777;
  const { uid, gid } = read;
  const sha = createHash('sha256').update(before).digest('hex');
  if (sha !== fileState.sha256 || before.length !== fileState.size) {
    return {
      ok: false,
      code: 'changed',
      reason: `${file} changed since the scan; nothing was removed. Scan again and review the entry before removing it`,
    };
  }
  // latin1 maps every byte to one character and back, so untouched lines keep their exact bytes.
  const lines = splitKeepingEnds(before.toString('latin1'));
  const target = lines[line - 1];
  const targetText = target === undefined ? null : Buffer.from(target.replace(/\r?\n$/, ''), 'latin1').toString('utf8');
  if (targetText !== p.text) {
    return {
      ok: false,
      code: 'changed',
      reason: `line ${line} of ${file} is not the reported entry; nothing was removed`,
    };
  }
  const at = (opts.now ?? (() => new Date()))();
  const backup = join(dirname(file), `.${basename(file)}.idlewatch-backup-${stamp(at)}`);
  try {
    // From the bytes just checked, not copied through the path (which could be swapped by now);
    // 'wx' creates a new file and never follows a link someone put at the backup's name.
    const fh = await open(backup, 'wx', 0o600);
    try {
      await fh.writeFile(before);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (e) {
    await unlink(backup).catch(() => {});
    return {
      ok: false,
      code: 'failed',
      reason: `cannot back up ${file} to ${backup}: ${(e as Error).message}; nothing was removed`,
    };
  }
  lines.splice(line - 1, 1);
  const after = Buffer.from(lines.join(''), 'latin1');
  const tmp = join(dirname(file), `.${basename(file)}.idlewatch-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(after);
      // Same mode and owner as the file it replaces: a user's crontab must stay theirs, rc.local executable.
      await fh.chmod(mode);
      if (process.getuid?.() === 0) await fh.chown(uid, gid);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // Last look before the swap: a write since the check above would be lost by the rename, and
    // a link swapped into the path since it was resolved would send the edit somewhere else.
    const still = await realpath(file).catch(() => null);
    const now =
      still === file ? await safeReadFile(file, { maxBytes: MAX_TEXT_FILE, noFollow: true }).catch(() => null) : null;
    if (!now || now.dev !== read.dev || now.ino !== read.ino || !now.data.equals(before)) {
      await unlink(tmp).catch(() => {});
      return {
        ok: false,
        code: 'changed',
        reason: `${file} changed while the entry was being removed; nothing was removed`,
        backup,
      };
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    return {
      ok: false,
      code: 'failed',
      reason: `cannot rewrite ${file}: ${(e as Error).message}; it is unchanged`,
      backup,
    };
  }
  try {
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some filesystems cannot flush a folder; the rename is done, only its durability is less certain.
  }
  return { ok: true, file, line, removed: p.text, backup };
}
