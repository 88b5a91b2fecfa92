/**
 * Removing one persistence line the scan reported (a crontab job, an ExecStart=, an ld.so.preload
 * entry): only after the user confirmed, only if the file is byte-for-byte what the scan read,
 * with a backup next to the file first, and by an atomic rename so cron, systemd or the dynamic
 * loader never see a half-written file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PersistenceKind, RemoveResult, ScanFinding } from '../../../shared/scan.js';

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
  let before: Buffer;
  let mode: number;
  let uid: number;
  let gid: number;
  try {
    const st = await stat(file);
    before = await readFile(file);
    mode = st.mode & 0o7777;
    uid = st.uid;
    gid = st.gid;
  } catch (e) {
    return { ok: false, code: 'failed', reason: `cannot read ${file}: ${(e as Error).message}` };
  }
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
    await copyFile(file, backup, constants.COPYFILE_EXCL);
    await chmod(backup, 0o600);
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
    // Last look before the swap: a write since the check above would be lost by the rename.
    const now = await readFile(file);
    if (!now.equals(before)) {
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
