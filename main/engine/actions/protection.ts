import { posix, win32 } from 'node:path';
import type { LiveProcess } from './process-inspector.js';

export interface Protection {
  code: 'protected' | 'self';
  reason: string;
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
 * Whether the process is the OS's own, or Idlewatch, or one of the processes that started
 * Idlewatch (killing or stopping those would kill or freeze Idlewatch itself).
 */
export function processProtection(
  p: LiveProcess,
  platform: NodeJS.Platform,
  ownLineage: readonly number[],
  env: NodeJS.ProcessEnv = process.env,
): Protection | null {
  const label = `process ${p.pid} (${p.name})`;
  const lineageIndex = ownLineage.indexOf(p.pid);
  if (lineageIndex === 0) return { code: 'self', reason: `${label} is Idlewatch itself: nothing was done` };
  if (lineageIndex > 0) {
    return {
      code: 'self',
      reason: `${label} is one of the processes that started Idlewatch; acting on it would stop Idlewatch too, so nothing was done`,
    };
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
  return null;
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
