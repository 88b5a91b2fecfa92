/**
 * Where work that starts while nobody is at the screen came from, read from the real parent chain
 * (lineage.ts): a person using the machine from elsewhere (an SSH or remote-desktop session), or
 * a scheduler (cron, systemd timers, Task Scheduler).
 *
 * A session is a fact about who started the work, not about what it is: a remote start explains
 * why the work began after the local user left (the onset rule means nothing for it), and nothing
 * else. Attackers log in over SSH too, so every other piece of evidence stands.
 */
import type { Platform } from '../../../../shared/trace.js';
import type { Ancestor } from '../lineage.js';
import { baseName, inSystemFolder, normalizeWinPath, plainName, stripDeleted } from '../provenance.js';

export interface RemoteOrigin {
  /** "an SSH session", "a remote desktop session (xrdp)". */
  via: string;
  /** The account the session logged in as, when the chain says. */
  user: string | null;
  /** The client's address, when a session process's connection was recorded. */
  from: string | null;
}

const SSHD_NAMES = new Set(['sshd', 'sshd-session', 'sshd-auth']);
const XRDP_NAMES = new Set(['xrdp', 'xrdp-sesman', 'xrdp-sesexec', 'xrdp-chansrv']);

/** Where each platform's SSH server lives (OpenSSH split the per-session program out in 9.8). */
const SSHD_PATHS: Record<Platform, RegExp> = {
  linux: /^\/(?:usr\/)?s?bin\/sshd$|^\/usr\/(?:lib|libexec)\/(?:openssh\/|ssh\/)?sshd-(?:session|auth)$/,
  darwin: /^\/usr\/sbin\/sshd$|^\/usr\/libexec\/sshd-(?:session|auth)$/,
  win32: /^[a-z]:\\(?:windows\\system32\\openssh|program files\\openssh)\\sshd(?:-session|-auth)?\.exe$/,
};

const XRDP_PATHS = /^\/usr\/(?:s?bin|lib\/xrdp|libexec\/xrdp)\/xrdp(?:-[a-z]+)?$/;

type Credibility = 'real' | 'unreadable' | 'impostor';

/**
 * A server process at its system path is real. An unprivileged recorder cannot read the path of
 * root's processes: unreadable and running as root is what a user-level dropper cannot arrange.
 */
function credibility(a: Ancestor, platform: Platform, paths: RegExp): Credibility {
  if (a.exe === null) return a.user === 'root' || a.user === 'SYSTEM' ? 'real' : 'unreadable';
  const p = platform === 'win32' ? normalizeWinPath(stripDeleted(a.exe)) : stripDeleted(a.exe);
  return paths.test(p) ? 'real' : 'impostor';
}

/** `sshd: ana@pts/1`, `sshd-session: ana [priv]`, `sshd: ana@notty` name the account. */
function sessionUser(cmdline: string): string | null {
  const m = /^sshd(?:-session|-auth)?:\s+([^\s@[]+)/.exec(cmdline.trim());
  return m?.[1] && m[1] !== '/usr/sbin/sshd' && !m[1].startsWith('/') ? m[1] : null;
}

function nameOf(a: Ancestor, platform: Platform): string {
  const n = plainName(a.name);
  return n !== '' ? n : a.exe ? plainName(baseName(a.exe, platform)) : '';
}

/**
 * The remote session the process descends from, or null. Every server-named process on the way
 * must be credible, and at least one must be at its system path or root's: an `sshd` in /tmp is
 * an impostor parent, and a chain through it gets no remote reading at all.
 */
export function remoteOrigin(chain: readonly Ancestor[], platform: Platform): RemoteOrigin | null {
  let found: RemoteOrigin | null = null;
  let real = false;
  for (const a of chain) {
    const n = nameOf(a, platform);
    const ssh = SSHD_NAMES.has(n);
    const rdp = platform === 'linux' && XRDP_NAMES.has(n);
    if (!ssh && !rdp) continue;
    const c = credibility(a, platform, ssh ? SSHD_PATHS[platform] : XRDP_PATHS);
    if (c === 'impostor') return null;
    if (c === 'real') real = true;
    if (!found) found = { via: ssh ? 'an SSH session' : 'a remote desktop session (xrdp)', user: null, from: null };
    found.user ??= ssh ? sessionUser(a.cmdline) : null;
    found.from ??= a.peer;
  }
  if (!found || !real) return null;
  if (found.user === null) {
    // The shell the session started runs as the account that logged in.
    const shell = chain.find((a) => !SSHD_NAMES.has(nameOf(a, platform)) && a.user !== null);
    found.user = shell?.user ?? null;
  }
  return found;
}

/** "started from an SSH session from 192.0.2.7 as ana". */
export function remoteDetail(r: RemoteOrigin): string {
  return `started from ${r.via}${r.from ? ` from ${r.from}` : ''}${r.user ? ` as ${r.user}` : ''}`;
}

const SCHEDULERS: Record<Platform, ReadonlySet<string>> = {
  linux: new Set(['cron', 'crond', 'anacron', 'atd', 'fcron', 'systemd']),
  darwin: new Set(['cron', 'atrun', 'periodic']),
  win32: new Set(['taskhostw', 'taskeng', 'svchost']),
};

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ksh', 'busybox', 'cmd', 'powershell', 'pwsh', 'run-parts']);

/**
 * Whether a scheduler started the process: its parent (or the parent of the shell that runs a job
 * line) is cron, anacron, atd, a systemd user manager, periodic or Task Scheduler at its system
 * path. On Linux a process whose parent is init (an empty chain) also counts: systemd timers start
 * their jobs from init, and so is every orphan re-parented there, which earns nothing either way.
 */
export function scheduledStart(chain: readonly Ancestor[], platform: Platform): boolean {
  // launchd is every macOS process's parent, and a Windows chain ends at an unknown parent.
  if (chain.length === 0) return platform === 'linux';
  for (let i = 0; i < Math.min(3, chain.length); i++) {
    const a = chain[i]!;
    const n = nameOf(a, platform);
    if (SCHEDULERS[platform].has(n)) {
      // Task Scheduler runs in an svchost of its own group; other svchosts start services, not tasks.
      if (n === 'svchost' && !/\bschedule\b/i.test(a.cmdline)) return false;
      return a.exe === null ? a.user !== null : inSystemFolder(a.exe, platform);
    }
    if (!SHELLS.has(n)) return false;
  }
  return false;
}

/** Session servers whose connection names the client: the detector keeps their peer address. */
export function keepsPeer(name: string): boolean {
  const n = plainName(name);
  return SSHD_NAMES.has(n) || XRDP_NAMES.has(n);
}
