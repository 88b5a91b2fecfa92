/**
 * Older Idlewatch versions kept the file as it was before a line removal as
 * `.NAME.idlewatch-backup-STAMP` beside it. Those backups become quarantine items: the backup's
 * bytes are stored and its record saved first, and only then is the backup file removed.
 *
 * A backup whose file is now that backup minus exactly one line becomes a `line` item (restore
 * puts that line back while the file stays as it is now). Otherwise it becomes a `file` item:
 * restore re-creates the file where it is gone, or replaces it only while it is still exactly as
 * it was at the import.
 */
import { readdir, realpath, unlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { LegacyImportResult, QuarantineItem } from '../../../shared/quarantine.js';
import { isReadRefusal } from '../scan/safe-read.js';
import { MAX_TEXT_FILE } from '../scan/scan-context.js';
import { factsAt, sha256Of, syncFolder } from './file-io.js';
import { currentActor, newQuarantineId } from './ids.js';
import { removedLine } from './lines.js';
import { type QuarantineStore, readWhole } from './store.js';

/** `.alice.idlewatch-backup-20300102T030405678Z` → `alice` and its time. */
const BACKUP_NAME = /^\.(.+)\.idlewatch-backup-(\d{8}T\d{9}Z)$/;

/** The removal time a backup's name records. */
function stampTime(stamp: string): Date {
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}.${stamp.slice(15, 18)}Z`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

const SHELL_RC = ['.bashrc', '.bash_profile', '.bash_login', '.profile', '.zshrc', '.zprofile', '.zshenv', '.zlogin'];

/**
 * The folders an older Idlewatch could have edited (where removable persistence lines live) under
 * `root`, with the real folders of shell start-up files kept as links into a dotfiles folder.
 */
export async function legacyBackupFolders(root = '/'): Promise<string[]> {
  const at = (p: string): string => posix.join(root, p);
  const dirs = new Set<string>(
    [
      '/etc',
      '/etc/cron.d',
      '/etc/cron.hourly',
      '/etc/cron.daily',
      '/etc/cron.weekly',
      '/etc/cron.monthly',
      '/var/spool/cron',
      '/var/spool/cron/crontabs',
      '/etc/systemd/system',
      '/etc/xdg/autostart',
      '/etc/zsh',
      '/root',
    ].map(at),
  );
  const homes = new Set<string>(['/root']);
  try {
    const passwd = (await readWhole(at('/etc/passwd'), MAX_TEXT_FILE)).data.toString('utf8');
    for (const line of passwd.split('\n')) {
      const home = line.split(':')[5];
      if (home?.startsWith('/') && home !== '/') homes.add(home);
    }
  } catch {
    // No passwd under this root: /home is still listed.
  }
  for (const name of await readdir(at('/home')).catch(() => [] as string[])) homes.add(`/home/${name}`);
  for (const home of homes) {
    const h = at(home);
    dirs.add(h);
    dirs.add(posix.join(h, '.config/autostart'));
    dirs.add(posix.join(h, '.config/systemd/user'));
    for (const rc of SHELL_RC) {
      const real = await realpath(posix.join(h, rc)).catch(() => null);
      if (real) dirs.add(posix.dirname(real));
    }
  }
  for (const dir of [...dirs]) {
    if (!dir.endsWith('/etc/systemd/system') && !dir.endsWith('.config/systemd/user')) continue;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name.endsWith('.service.d')) dirs.add(posix.join(dir, name));
    }
  }
  return [...dirs];
}

/** Finds and imports every backup in `folders`; a backup that cannot be imported is left and said. */
export async function importLegacyBackups(
  store: QuarantineStore,
  folders: readonly string[],
  via: 'app' | 'cli' = 'app',
): Promise<LegacyImportResult> {
  const result: LegacyImportResult = { imported: [], skipped: [] };
  for (const dir of folders) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const m = BACKUP_NAME.exec(name);
      if (!m?.[1] || !m[2]) continue;
      const backup = posix.join(dir, name);
      const original = posix.join(dir, m[1]);
      const r = await importOne(store, backup, original, stampTime(m[2]), via);
      if (typeof r === 'string') result.skipped.push(`${backup}: ${r}`);
      else result.imported.push(r);
    }
  }
  return result;
}

async function importOne(
  store: QuarantineStore,
  backup: string,
  original: string,
  removedAt: Date,
  via: 'app' | 'cli',
): Promise<QuarantineItem | string> {
  let saved: Awaited<ReturnType<typeof readWhole>>;
  try {
    saved = await readWhole(backup, MAX_TEXT_FILE);
  } catch (e) {
    return isReadRefusal(e) ? e.what : (e as Error).message;
  }
  let now: Awaited<ReturnType<typeof readWhole>> | null = null;
  const here = await factsAt(original).catch(() => null);
  if (here) {
    if (here.isLink || !here.isFile) return `${original} is not a regular file now; the backup is left where it is`;
    try {
      now = await readWhole(original, MAX_TEXT_FILE);
    } catch (e) {
      return `${original} cannot be read (${isReadRefusal(e) ? e.what : (e as Error).message}); the backup is left where it is`;
    }
  }
  const line = now ? removedLine(saved.data, now.data) : null;
  // The rewrite kept the original's mode and owner; the backup itself was made private (0600).
  const facts = now?.facts ?? saved.facts;
  const item: QuarantineItem = {
    id: newQuarantineId(removedAt),
    kind: line ? 'line' : 'file',
    category: 'persistence',
    path: original,
    shownPath: original,
    mode: facts.mode,
    uid: facts.uid,
    gid: facts.gid,
    atimeMs: saved.facts.mtimeMs,
    mtimeMs: saved.facts.mtimeMs,
    sha256: sha256Of(saved.data),
    size: saved.data.length,
    line,
    after: now ? { sha256: sha256Of(now.data), size: now.data.length } : null,
    reason: line
      ? `line removed by an older Idlewatch (imported from its backup ${posix.basename(backup)})`
      : `file as it was before an older Idlewatch changed it (imported from its backup ${posix.basename(backup)})`,
    at: removedAt.toISOString(),
    by: { user: currentActor(via).user, via },
    findingId: null,
    reportStartedAt: null,
    importedFrom: backup,
  };
  const failed = await store.adopt(item, saved.data);
  if (failed) return `${failed.reason}; the backup is left where it is`;
  await unlink(backup).catch(() => {});
  await syncFolder(posix.dirname(backup));
  return item;
}
