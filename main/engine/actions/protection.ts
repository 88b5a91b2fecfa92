import { posix, win32 } from 'node:path';
import type { LiveProcess } from './process-inspector.js';

/**
 * Why an action must not (or not simply) touch a process:
 * - `protected`: the OS's own (init, kernel threads, Windows' critical processes): never.
 * - `self`: Idlewatch itself, the processes that started it, and the processes it started or runs
 *   as (its helpers, its window): never.
 * - `session`: the desktop session depends on it (display server, compositor, session bus, sound
 *   server, login session): never paused (a stopped display server freezes the screen with no way
 *   to click Resume), killed only when the user confirms a second time.
 */
export interface Protection {
  code: 'protected' | 'self' | 'session';
  reason: string;
}

/** What Idlewatch knows to be itself, found from real process relations, never from names. */
export interface OwnProcesses {
  /** Idlewatch's own pid, then the processes that started it, nearest first. */
  lineage: readonly number[];
  /** Other pids that are Idlewatch (its helpers, its window's processes), with what each is. */
  others: ReadonlyMap<number, string>;
}

/**
 * Pids no action may touch whatever the process looks like. Checked before anything is read:
 * to process.kill, 0 means "my process group" and a negative pid a whole group, so they must
 * never reach it.
 */
export function pidProtection(pid: number, platform: NodeJS.Platform): Protection | null {
  if (!Number.isSafeInteger(pid) || pid < 0) {
    return { code: 'protected', reason: `${String(pid)} is not a process id: nothing was done` };
  }
  if (platform === 'win32') {
    if (pid === 0) return { code: 'protected', reason: 'pid 0 is the Windows System Idle Process: nothing was done' };
    if (pid === 4)
      return { code: 'protected', reason: 'pid 4 is the Windows System process (the kernel): nothing was done' };
    return null;
  }
  if (pid === 0) return { code: 'protected', reason: 'pid 0 is the kernel itself, not a process: nothing was done' };
  if (pid === 1) {
    const what = platform === 'darwin' ? 'launchd' : 'init';
    return {
      code: 'protected',
      reason: `pid 1 is the system's ${what} process: stopping it would take the whole system down, so nothing was done`,
    };
  }
  return null;
}

/** Linux service managers and init programs (pid 1 is refused by number; these cover `systemd --user` too). */
const LINUX_INIT_EXES = new Set(['/sbin/init', '/usr/sbin/init', '/lib/systemd/systemd', '/usr/lib/systemd/systemd']);

/** macOS system locations are sealed (SIP): a miner cannot live there, and killing one can log the user out. */
const DARWIN_SYSTEM_PREFIXES = ['/System/', '/usr/libexec/', '/sbin/', '/usr/sbin/'];

/** Windows processes whose death bluescreens or logs out the session. */
const WINDOWS_CRITICAL = new Set([
  'smss.exe',
  'csrss.exe',
  'wininit.exe',
  'winlogon.exe',
  'services.exe',
  'lsass.exe',
  'lsaiso.exe',
  'svchost.exe',
  'dwm.exe',
]);

/**
 * Whether the process is the OS's own, or Idlewatch (itself, one of the processes that started it,
 * or one it started), or one the desktop session depends on. `own` is Idlewatch's lineage alone
 * or with the other processes known to be Idlewatch.
 */
export function processProtection(
  p: LiveProcess,
  platform: NodeJS.Platform,
  own: readonly number[] | OwnProcesses,
  env: NodeJS.ProcessEnv = process.env,
): Protection | null {
  const label = `process ${p.pid} (${p.name})`;
  const { lineage, others } = Array.isArray(own)
    ? { lineage: own as readonly number[], others: new Map<number, string>() }
    : (own as OwnProcesses);
  const lineageIndex = lineage.indexOf(p.pid);
  if (lineageIndex === 0) return { code: 'self', reason: `${label} is Idlewatch itself: nothing was done` };
  if (lineageIndex > 0) {
    return {
      code: 'self',
      reason: `${label} is one of the processes that started Idlewatch; acting on it would stop Idlewatch too, so nothing was done`,
    };
  }
  const ownPart = others.get(p.pid);
  if (ownPart !== undefined) {
    return { code: 'self', reason: `${label} is ${ownPart}; acting on it would break Idlewatch, so nothing was done` };
  }
  if (p.kernelThread) {
    return {
      code: 'protected',
      reason: `${label} is a kernel thread: it belongs to the operating system, so nothing was done`,
    };
  }
  if (platform === 'linux' && p.exe !== null && LINUX_INIT_EXES.has(p.exe)) {
    return { code: 'protected', reason: `${label} is the system's service manager (${p.exe}): nothing was done` };
  }
  if (platform === 'darwin' && p.exe !== null && DARWIN_SYSTEM_PREFIXES.some((d) => p.exe?.startsWith(d))) {
    return { code: 'protected', reason: `${label} is a macOS system process (${p.exe}): nothing was done` };
  }
  if (platform === 'win32' && isWindowsCritical(p, env)) {
    return {
      code: 'protected',
      reason: `${label} is a Windows system process: stopping it can crash Windows, so nothing was done`,
    };
  }
  const role = platform === 'linux' ? linuxSessionRole(p) : platform === 'win32' ? windowsSessionRole(p, env) : null;
  if (role) return { code: 'session', reason: `${label} is ${role.what} (${p.exe ?? p.name}): ${role.effect}` };
  return null;
}

/** What a session process is and what stopping it does, in the words the refusal uses. */
export interface SessionRole {
  what: string;
  effect: string;
}

const DISPLAY: SessionRole = {
  what: 'your display server',
  effect: 'stopping it freezes or closes every window on the screen, with any unsaved work in them',
};
const COMPOSITOR: SessionRole = {
  what: "your desktop's compositor (window manager)",
  effect: 'stopping it freezes or ends your graphical session',
};
const BUS: SessionRole = {
  what: 'a message bus',
  effect: 'desktop programs lose their connection to each other and the session may stop working',
};
const AUDIO: SessionRole = { what: 'your sound server', effect: 'stopping it silences every program' };
const LOGIN: SessionRole = {
  what: 'part of a login session',
  effect: 'stopping it logs you out (a remote login is disconnected)',
};

/** By the basename of the program; trusted only at a system path that root owns (linuxSessionRole). */
const LINUX_SESSION = new Map<string, SessionRole>([
  ...['Xorg', 'X', 'Xwayland', 'Xvnc'].map((n) => [n, DISPLAY] as const),
  ...[
    'gnome-shell',
    'kwin_x11',
    'kwin_wayland',
    'kwin_wayland_wrapper',
    'mutter',
    'sway',
    'weston',
    'Hyprland',
    'wayfire',
    'labwc',
    'river',
    'niri',
    'cosmic-comp',
    'xfwm4',
    'marco',
    'muffin',
    'openbox',
    'i3',
  ].map((n) => [n, COMPOSITOR] as const),
  ...['dbus-daemon', 'dbus-broker', 'dbus-broker-launch'].map((n) => [n, BUS] as const),
  ...['pipewire', 'pipewire-pulse', 'wireplumber', 'pulseaudio'].map((n) => [n, AUDIO] as const),
  ...[
    'login',
    'sshd',
    'sshd-session',
    'gdm',
    'gdm3',
    'gdm-session-worker',
    'gdm-x-session',
    'gdm-wayland-session',
    'sddm',
    'sddm-helper',
    'lightdm',
    'systemd-logind',
    'gnome-session-binary',
    'ksmserver',
    'xfce4-session',
  ].map((n) => [n, LOGIN] as const),
]);

/** Where a distribution installs these programs; /usr/local and home folders are not among them. */
const LINUX_SYSTEM_DIRS = [
  '/usr/bin/',
  '/usr/sbin/',
  '/bin/',
  '/sbin/',
  '/usr/lib/',
  '/usr/lib64/',
  '/usr/libexec/',
  '/lib/',
  '/lib64/',
];

/**
 * A session program is recognised by where its running file is and who owns it, never by its
 * name alone: a miner copied to /tmp/Xorg or renamed with prctl runs from a file root does not own
 * at a system path, and stays an ordinary process.
 */
export function linuxSessionRole(p: LiveProcess): SessionRole | null {
  if (p.exe === null) return null;
  const exe = p.exe.endsWith(' (deleted)') ? p.exe.slice(0, -' (deleted)'.length) : p.exe;
  const role = LINUX_SESSION.get(posix.basename(exe));
  if (!role) return null;
  if (posix.normalize(exe) !== exe || !LINUX_SYSTEM_DIRS.some((d) => exe.startsWith(d))) return null;
  const f = p.exeFile;
  if (f?.uid !== 0 || f.dirUid !== 0 || (f.mode & 0o022) !== 0 || (f.dirMode & 0o022) !== 0) return null;
  return role;
}

/** Windows' shell and audio engine, only as the files in %SystemRoot% (explorer) or System32. */
function windowsSessionRole(p: LiveProcess, env: NodeJS.ProcessEnv): SessionRole | null {
  const name = (p.exe ? win32.basename(p.exe) : p.name).toLowerCase();
  const root = win32.normalize(env.SystemRoot ?? env.windir ?? 'C:\\Windows').toLowerCase();
  const roles: Record<string, { dir: string; role: SessionRole }> = {
    'explorer.exe': {
      dir: root,
      role: {
        what: 'the Windows shell (taskbar, desktop, file windows)',
        effect: 'ending it closes the taskbar and every file window',
      },
    },
    'audiodg.exe': { dir: win32.join(root, 'system32'), role: AUDIO },
    'sihost.exe': {
      dir: win32.join(root, 'system32'),
      role: { what: "the Windows shell's infrastructure host", effect: 'ending it can log you out' },
    },
  };
  const known = Object.hasOwn(roles, name) ? roles[name] : undefined;
  if (!known) return null;
  // Without administrator rights another account's path is unreadable: then only the name is known,
  // and such a process cannot be ended without those rights anyway.
  if (p.exe === null) return known.role;
  return win32.dirname(win32.normalize(p.exe)).toLowerCase() === known.dir ? known.role : null;
}

function isWindowsCritical(p: LiveProcess, env: NodeJS.ProcessEnv): boolean {
  const name = (p.exe ? win32.basename(p.exe) : p.name).toLowerCase();
  if (!WINDOWS_CRITICAL.has(name)) return false;
  // Only the real one in System32 is protected: a copy named csrss.exe elsewhere is a classic disguise.
  // Its path is unreadable without administrator rights, and then only its name is known.
  if (p.exe === null) return true;
  const system32 = win32.join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'System32').toLowerCase();
  return win32.dirname(win32.normalize(p.exe)).toLowerCase() === system32;
}

/** Same program, ignoring Linux's " (deleted)" marker and, on Windows, letter case. */
export function sameExecutable(a: string, b: string, platform: NodeJS.Platform): boolean {
  const strip = (s: string) => (s.endsWith(' (deleted)') ? s.slice(0, -' (deleted)'.length) : s);
  if (platform === 'win32') return win32.normalize(strip(a)).toLowerCase() === win32.normalize(strip(b)).toLowerCase();
  return posix.normalize(strip(a)) === posix.normalize(strip(b));
}
