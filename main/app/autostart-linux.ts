/**
 * Launch at login on Linux, where Electron's setLoginItemSettings does nothing: an XDG autostart
 * entry, `$XDG_CONFIG_HOME/autostart/idlewatch.desktop` (default `~/.config/autostart`). Pure Node
 * (no electron), unit-tested in a temporary home.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

export const AUTOSTART_FILE = 'idlewatch.desktop';
/** Passed by the autostart entry: start in the tray, without opening the window. */
export const HIDDEN_ARG = '--hidden';

export interface AutostartEnv {
  env: NodeJS.ProcessEnv;
  /** Default os.homedir(). */
  home?: string;
}

/** Where the entry lives. A relative XDG_CONFIG_HOME is invalid per the spec and ignored. */
export function autostartPath({ env, home }: AutostartEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const config = xdg && isAbsolute(xdg) ? xdg : join(home ?? homedir(), '.config');
  return join(config, 'autostart', AUTOSTART_FILE);
}

/**
 * What to run at login: the AppImage itself when running as one (APPIMAGE names the file; the
 * executable path is inside a temporary mount that is gone after logout), else the executable,
 * plus the app folder when not packaged (`electron .` in a checkout).
 */
export function launchCommand(opts: {
  env: NodeJS.ProcessEnv;
  execPath: string;
  isPackaged: boolean;
  appPath: string;
}): string[] {
  const appImage = opts.env.APPIMAGE;
  if (appImage && isAbsolute(appImage)) return [appImage, HIDDEN_ARG];
  return opts.isPackaged ? [opts.execPath, HIDDEN_ARG] : [opts.execPath, opts.appPath, HIDDEN_ARG];
}

// Desktop Entry spec, "The Exec key": an argument with a reserved character is double-quoted, and
// inside the quotes `"`, backtick, `$` and `\` are escaped with a backslash.
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/** One argument as the Exec key's quoting rules want it (before the string-value escaping). */
export function quoteExecArg(arg: string): string {
  const body = arg.length > 0 && !RESERVED.test(arg) ? arg : `"${arg.replace(/["`$\\]/g, '\\$&')}"`;
  // A literal % is written %% (field codes start with %).
  return body.replace(/%/g, '%%');
}

/** The Exec value, escaped again as a desktop-file string (`\\`, `\n`, `\t`, `\r`). */
export function execValue(argv: readonly string[]): string {
  return argv
    .map(quoteExecArg)
    .join(' ')
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r');
}

/** The whole autostart entry. */
export function desktopEntry(argv: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Idlewatch',
    'Comment=See what used your GPU and CPU while you were away',
    `Exec=${execValue(argv)}`,
    'Icon=idlewatch',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether our entry exists (and is not disabled with Hidden=true). */
export async function isAutostartEnabled(where: AutostartEnv): Promise<boolean> {
  try {
    const text = await readFile(autostartPath(where), 'utf8');
    return !/^Hidden\s*=\s*true\s*$/m.test(text);
  } catch {
    return false;
  }
}

/** Writes (atomically: temporary file, fsync, rename) or removes the entry. */
export async function setAutostart(enabled: boolean, argv: readonly string[], where: AutostartEnv): Promise<void> {
  const file = autostartPath(where);
  if (!enabled) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(desktopEntry(argv), 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
