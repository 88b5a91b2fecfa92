import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, posix, resolve, sep, win32 } from 'node:path';

/**
 * Where Idlewatch keeps its data on each platform:
 * Linux and other Unixes: `$XDG_DATA_HOME/idlewatch`, else `~/.local/share/idlewatch`;
 * Windows: `%APPDATA%\Idlewatch`; macOS: `~/Library/Application Support/Idlewatch`.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    if (env.APPDATA && win32.isAbsolute(env.APPDATA)) return win32.join(env.APPDATA, 'Idlewatch');
    return win32.join(env.USERPROFILE || home, 'AppData', 'Roaming', 'Idlewatch');
  }
  const userHome = env.HOME || home;
  if (platform === 'darwin') return posix.join(userHome, 'Library', 'Application Support', 'Idlewatch');
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  if (xdg && posix.isAbsolute(xdg)) return posix.join(xdg, 'idlewatch');
  return posix.join(userHome, '.local', 'share', 'idlewatch');
}

/** What ensureDataDir changed, and why it left the folder's contents alone when it did. */
export interface DataDirReport {
  /** Paths whose permissions were narrowed (group and others lost their access). */
  tightened: string[];
  /** Why the contents were not tightened (a shared folder, another owner), or null. */
  skipped: string | null;
}

export interface EnsureDataDirOptions {
  platform?: NodeJS.Platform;
  /** Default the process's uid. */
  uid?: number;
  /** Default the user's home folder. */
  home?: string;
}

/** Deep enough for the quarantine's item folders; bounds a folder someone filled on purpose. */
const MAX_DEPTH = 6;
const MAX_ENTRIES = 20_000;

/**
 * Creates the data folder (and its parents) if needed, private to the user, and on every start
 * tightens what is already there: the folder and everything in it that the user owns loses group
 * and other access (0700 folders, 0600 files), since an older version, a restored backup or a
 * umask of 022 may have left incident history, allowlist and quarantined files readable by other
 * accounts. Links are never followed and only folders and regular files are touched, each through
 * a handle opened without following a link (fchmod), so a link swapped in meanwhile changes
 * nothing outside the folder. A folder that is not the user's own data folder (the home folder
 * or one above it, a shared sticky folder like /tmp, another user's) is left as it is, and says so.
 * Nothing to do on Windows, where the folder inherits the user profile's access list.
 */
export async function ensureDataDir(dir: string, opts: EnsureDataDirOptions = {}): Promise<DataDirReport> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const report: DataDirReport = { tightened: [], skipped: null };
  const platform = opts.platform ?? process.platform;
  if (platform === 'win32') return report;
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  const top = resolve(dir);
  const info = await stat(top);
  const home = resolve(opts.home ?? homedir());
  if (info.uid !== uid) {
    report.skipped = `${top} belongs to another user (uid ${info.uid}): its permissions were left as they are`;
    return report;
  }
  if (top === sep || top === home || home.startsWith(`${top}${sep}`)) {
    report.skipped = `${top} is the home folder or one above it, not a folder of Idlewatch's own: its permissions were left as they are`;
    return report;
  }
  if ((info.mode & 0o1000) !== 0 && (info.mode & 0o002) !== 0) {
    report.skipped = `${top} is a shared folder (sticky, writable by everyone): its permissions were left as they are`;
    return report;
  }
  let budget = MAX_ENTRIES;
  const walk = async (path: string, depth: number): Promise<void> => {
    if (budget-- <= 0) return;
    let st: Stats;
    try {
      st = await lstat(path);
    } catch {
      return; // gone meanwhile
    }
    if (st.uid !== uid || !(st.isDirectory() || st.isFile())) return;
    if ((st.mode & 0o077) !== 0 && (await narrow(path, st.isDirectory()))) report.tightened.push(path);
    if (!st.isDirectory() || depth >= MAX_DEPTH) return;
    let names: string[];
    try {
      names = await readdir(path);
    } catch {
      return;
    }
    for (const name of names) await walk(join(path, name), depth + 1);
  };
  await walk(top, 0);
  return report;
}

/** Removes group and other access through a handle that refuses links; false when it could not. */
async function narrow(path: string, isDir: boolean): Promise<boolean> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (isDir ? constants.O_DIRECTORY : 0);
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  try {
    fh = await open(path, flags);
    const st = await fh.stat();
    // Replaced by something else between the look and the open: leave it.
    if (isDir ? !st.isDirectory() : !st.isFile()) return false;
    await fh.chmod(st.mode & 0o700);
    return true;
  } catch {
    return false;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
