/**
 * Whether a program lies where an ordinary user (or a process running as one) could have put it:
 * the place "Kill and quarantine the program" is offered for. System programs (root-owned folders
 * only root can write) are never offered: removing one could break the machine, and a miner that
 * got there had root, which a quarantine of one file does not undo.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { posix, win32 } from 'node:path';

/** Windows folders a user (or anything running as one) can write to. */
function windowsUserPlace(exe: string, env: NodeJS.ProcessEnv): string | null {
  const p = win32.normalize(exe).toLowerCase();
  const places = [
    env.USERPROFILE,
    env.APPDATA,
    env.LOCALAPPDATA,
    env.TEMP,
    env.TMP,
    env.ProgramData ?? 'C:\\ProgramData',
    env.PUBLIC ?? 'C:\\Users\\Public',
    'C:\\Users',
    'C:\\Windows\\Temp',
  ];
  for (const place of places) {
    if (!place) continue;
    const dir = win32.normalize(place).toLowerCase().replace(/\\+$/, '');
    if (p.startsWith(`${dir}\\`)) return `it is under ${place}, which users can write to`;
  }
  return null;
}

/**
 * Why `exe` is in a user-writable place, or null when it is not (or cannot be told: a deleted or
 * in-memory program has no file to quarantine). On Unix-like systems the file and every folder
 * above it are checked: owned by someone other than root, or writable by its group or by everyone
 * (a sticky shared folder like /tmp counts only as the program's own folder).
 */
export function userWritableReason(
  exe: string | null,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  if (!exe || exe.endsWith(' (deleted)') || exe.startsWith('/memfd:')) return null;
  if (platform === 'win32') return win32.isAbsolute(exe) ? windowsUserPlace(exe, env) : null;
  if (!posix.isAbsolute(exe)) return null;
  // Where the program really is (/bin is often a link to /usr/bin): a link's own mode says nothing.
  let real: string;
  try {
    real = realpathSync(exe);
  } catch {
    return null;
  }
  try {
    const st = lstatSync(real);
    if (!st.isFile()) return null;
    if (st.uid !== 0) return `${real} belongs to uid ${st.uid}`;
    if (st.mode & 0o022) return `${real} can be written by users other than root`;
  } catch {
    return null;
  }
  let dir = posix.dirname(real);
  let own = true;
  for (;;) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(dir);
    } catch {
      return null;
    }
    if (st.uid !== 0) return `the folder ${dir} belongs to uid ${st.uid}`;
    const sticky = (st.mode & 0o1000) !== 0;
    if (st.mode & 0o022 && (own || !sticky)) return `the folder ${dir} can be written by users other than root`;
    if (dir === '/') return null;
    dir = posix.dirname(dir);
    own = false;
  }
}
