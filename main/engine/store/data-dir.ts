import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

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

/** Creates the data folder (and its parents) if needed, private to the user. */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}
