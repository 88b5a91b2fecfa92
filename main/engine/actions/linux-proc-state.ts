import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { cmdlineText } from '../platform/linux/linux-procs.js';
import { parseProcStat } from '../platform/linux/proc-file.js';

/** The kernel marks its own threads with this task flag (include/linux/sched.h). */
const PF_KTHREAD = 0x00200000;

/** What an action needs to know about a live pid, read fresh from /proc. */
export interface LinuxProcState {
  pid: number;
  ppid: number;
  comm: string;
  /** stat field 3: R running, S/D sleeping, T/t stopped, Z zombie, X dead, I idle kernel thread. */
  state: string;
  /** Epoch ms, the same formula as the process collector (boot time + start ticks). */
  startTimeMs: number;
  kernelThread: boolean;
}

export interface LinuxProcDetails extends LinuxProcState {
  uid: number | null;
  /** The exe link; null when unreadable (exeError says why). */
  exe: string | null;
  exeError: string | null;
  cmdline: string;
}

/**
 * Reads /proc/PID/stat only: the cheap check used while polling for a process to exit.
 * Null when there is no such pid.
 */
export function readLinuxProcState(pid: number, procRoot = '/proc'): LinuxProcState | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const st = parseProcStat(text);
  if (!st) return null;
  const flags = statFlags(text);
  return {
    pid,
    ppid: st.ppid,
    comm: st.comm,
    state: st.state,
    startTimeMs: linuxStartTimeMs(st.starttime, procRoot),
    kernelThread: flags !== null && (flags & PF_KTHREAD) !== 0,
  };
}

/** Stat plus owner, exe link and command line: read once right before an action. */
export function readLinuxProcDetails(pid: number, procRoot = '/proc'): LinuxProcDetails | null {
  const state = readLinuxProcState(pid, procRoot);
  if (!state) return null;
  const dir = `${procRoot}/${pid}`;
  let uid: number | null = null;
  try {
    uid = statSync(dir).uid;
  } catch {
    return null;
  }
  let exe: string | null = null;
  let exeError: string | null = null;
  try {
    exe = readlinkSync(`${dir}/exe`);
  } catch (e) {
    exeError = (e as NodeJS.ErrnoException).code ?? 'EIO';
  }
  let cmdline: string | null = null;
  try {
    cmdline = cmdlineText(readFileSync(`${dir}/cmdline`, 'utf8'));
  } catch {
    // Unreadable: unknown, which is never taken as the empty command line of a kernel thread.
  }
  // Kernel threads have no executable (ENOENT, not EACCES) and no arguments. Zombies look the
  // same, hence the state check.
  const looksKernel = exeError === 'ENOENT' && cmdline === '' && state.state !== 'Z' && state.state !== 'X';
  return {
    ...state,
    kernelThread: state.kernelThread || looksKernel || isKthreaddFamily(state, procRoot),
    uid,
    exe,
    exeError,
    cmdline: cmdline ?? '',
  };
}

/**
 * pid 2 and its children are kernel threads only where pid 2 really is kthreadd: inside a pid
 * namespace (a container) pid 2 is an ordinary process.
 */
function isKthreaddFamily(st: LinuxProcState, procRoot: string): boolean {
  if (st.pid !== 2 && st.ppid !== 2) return false;
  const two = st.pid === 2 ? st : readLinuxProcState(2, procRoot);
  return two?.comm === 'kthreadd';
}

/** stat field 9 (flags), counted from the last ')' like parseProcStat. */
function statFlags(text: string): number | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const n = Number(text.slice(close + 2).split(' ')[6]);
  return Number.isFinite(n) ? n : null;
}

const clocks = new Map<string, { bootTimeMs: number; clkTck: number }>();

/**
 * Boot time (btime, whole seconds) and USER_HZ, read once. They must agree with the process
 * collector's, so the start times it reported compare exactly.
 */
function linuxClock(procRoot: string): { bootTimeMs: number; clkTck: number } {
  const known = clocks.get(procRoot);
  if (known) return known;
  let bootTimeMs = 0;
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync(`${procRoot}/stat`, 'latin1'));
    if (m?.[1]) bootTimeMs = Number(m[1]) * 1000;
  } catch {
    // fall through to uptime
  }
  if (bootTimeMs === 0) {
    try {
      bootTimeMs = Date.now() - Number(readFileSync(`${procRoot}/uptime`, 'latin1').split(' ')[0]) * 1000;
    } catch {
      bootTimeMs = 0;
    }
  }
  let clkTck = 100;
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    if (Number.isFinite(n) && n > 0) clkTck = n;
  } catch {
    // 100 on every mainstream Linux
  }
  const clock = { bootTimeMs, clkTck };
  clocks.set(procRoot, clock);
  return clock;
}

export function linuxStartTimeMs(starttimeTicks: number, procRoot = '/proc'): number {
  const c = linuxClock(procRoot);
  return Math.round(c.bootTimeMs + (starttimeTicks * 1000) / c.clkTck);
}
