import { posix, win32 } from 'node:path';

/** Linux keeps this suffix on /proc/PID/exe when the running file was deleted. */
export const DELETED_SUFFIX = ' (deleted)';

export function isDeletedExe(exe: string): boolean {
  return exe.endsWith(DELETED_SUFFIX);
}

/**
 * An executable path as allowlist entries store it: absolute and normalised (`..`, `.`, doubled
 * separators resolved; on Windows forward slashes turned back, the `\\?\` prefix dropped and the
 * drive letter upper-cased). Bare names are refused: any miner can call itself chrome.exe.
 */
export function normaliseExePath(
  path: string,
  platform: NodeJS.Platform,
): { ok: true; path: string } | { ok: false; error: string } {
  if (path === '') return { ok: false, error: 'is empty' };
  if (path.includes('\0')) return { ok: false, error: 'contains a NUL character' };
  if (isDeletedExe(path))
    return { ok: false, error: `names a deleted file (${JSON.stringify(path)}), which cannot be verified` };
  if (platform === 'win32') {
    const raw = path.startsWith('\\\\?\\') ? path.slice(4) : path;
    const norm = win32.normalize(raw);
    const rooted = /^[A-Za-z]:\\/.test(norm) || /^\\\\[^\\]+\\[^\\]+\\/.test(norm);
    if (!rooted) return { ok: false, error: bareNameError(path, 'C:\\Program Files\\…\\app.exe') };
    if (norm.endsWith('\\')) return { ok: false, error: `must name a file, not a folder, got ${JSON.stringify(path)}` };
    return { ok: true, path: /^[a-z]:/.test(norm) ? norm[0]?.toUpperCase() + norm.slice(1) : norm };
  }
  if (!path.startsWith('/')) return { ok: false, error: bareNameError(path, '/usr/bin/app') };
  const norm = posix.normalize(path);
  if (norm.endsWith('/')) return { ok: false, error: `must name a file, not a folder, got ${JSON.stringify(path)}` };
  return { ok: true, path: norm };
}

function bareNameError(path: string, example: string): string {
  return `must be the full path of the executable (like ${example}), got ${JSON.stringify(path)}: a bare name would cover any program that copies it`;
}

/** What two paths are compared by: Windows paths are case-insensitive, the others exact. */
export function exePathKey(normalised: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? normalised.toLowerCase() : normalised;
}
