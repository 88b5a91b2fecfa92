/**
 * One pass over every process for the deep scan: identity, kernel-thread flag, CPU time, and the
 * fd table (socket inodes for the network step, GPU device files for the GPU step), read once.
 * Linux reads /proc directly; other platforms go through the systeminformation collector.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { linuxStartTimeMs } from '../actions/linux-proc-state.js';
import { readFdLinks, socketInode } from '../platform/linux/proc-net.js';
import { cmdlineText } from '../platform/linux/linux-procs.js';
import { ProcFileReader, parseProcStat } from '../platform/linux/proc-file.js';
import { SiProcsCollector } from '../platform/si-procs.js';
import { UserNames } from '../platform/linux/users.js';
import { yieldToLoop } from './scan-context.js';

export interface ScanProc {
  pid: number;
  ppid: number | null;
  /** comm on Linux (15 characters at most). */
  name: string;
  /** stat state letter (R, S, Z, …); null off Linux. */
  state: string | null;
  /** Linux keeps ` (deleted)` on a removed file. Null when unreadable or a kernel thread. */
  exe: string | null;
  cmdline: string;
  /** The arguments as the process holds them (NUL-separated on Linux), so paths with spaces survive. */
  argv: string[];
  uid: number | null;
  user: string | null;
  startTimeMs: number;
  kernelThread: boolean;
  cpuSec: number | null;
  /** Socket inodes it holds; null when its fd table could not be read. */
  sockets: number[] | null;
  /** GPU device files it holds open (/dev/dri/renderD128, /dev/nvidia0). */
  gpuDevices: string[];
}

export interface ProcSnapshot {
  procs: ScanProc[];
  /** Every pid the /proc listing showed (the hidden-process probe compares against it). */
  listed: Set<number>;
  /** Processes whose identity or fd table could not be read (other users', without privilege). */
  unreadable: number;
  /** Which they were and what of each could not be read; the first MAX_DENIALS of them. */
  denied?: ProcDenial[];
}

export interface ProcDenial {
  pid: number;
  name: string;
  uid: number | null;
  /** "its executable", "its command line", "its open files". */
  parts: string[];
}

/** Denials named one by one; the rest are counted. */
const MAX_DENIALS = 20;

/** The kernel marks its own threads with this task flag (include/linux/sched.h). */
const PF_KTHREAD = 0x00200000;
const GPU_DEVICE = /^\/dev\/(?:dri\/(?:card|renderD)\d+|nvidia(?:\d+|ctl|-uvm|-uvm-tools|-modeset))$/;

let clockTicks: number | null = null;

/** USER_HZ, the unit of CPU times in /proc/PID/stat. */
function clkTck(): number {
  if (clockTicks !== null) return clockTicks;
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/** stat field 9 (flags), counted from the last ')' like parseProcStat. */
function statFlags(text: string): number {
  const close = text.lastIndexOf(')');
  const n = Number(text.slice(close + 2).split(' ')[6]);
  return Number.isFinite(n) ? n : 0;
}

export interface LinuxSnapshotOptions {
  procRoot?: string;
  passwdPath?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** Reads every process listed in /proc. Processes that exit mid-read are skipped. */
export async function snapshotLinuxProcesses(opts: LinuxSnapshotOptions = {}): Promise<ProcSnapshot> {
  const procRoot = opts.procRoot ?? '/proc';
  const reader = new ProcFileReader();
  const users = new UserNames(opts.passwdPath);
  const names = readdirSync(procRoot);
  const listed = new Set<number>();
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c >= 48 && c <= 57) listed.add(Number(n));
  }
  const tck = clkTck();
  const now = Date.now();
  const procs: ScanProc[] = [];
  let unreadable = 0;
  const denials: ProcDenial[] = [];
  let i = 0;
  for (const pid of listed) {
    if (++i % 256 === 0) {
      opts.onProgress?.(i / listed.size);
      await yieldToLoop(opts.signal);
    }
    const dir = `${procRoot}/${pid}`;
    let statText: string;
    try {
      statText = reader.read(`${dir}/stat`);
    } catch {
      continue; // exited
    }
    const st = parseProcStat(statText);
    if (!st) continue;
    let uid: number | null = null;
    try {
      uid = statSync(dir).uid;
    } catch {
      continue;
    }
    const parts: string[] = [];
    let exe: string | null = null;
    try {
      exe = readlinkSync(`${dir}/exe`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') parts.push('its executable');
    }
    let rawCmd = '';
    try {
      rawCmd = reader.readUtf8(`${dir}/cmdline`);
    } catch {
      parts.push('its command line');
    }
    const argv = argvOf(rawCmd);
    const kernelThread = (statFlags(statText) & PF_KTHREAD) !== 0;
    let sockets: number[] | null = [];
    const gpuDevices: string[] = [];
    if (!kernelThread) {
      const links = readFdLinks(procRoot, pid);
      if (links === null) {
        sockets = null;
        parts.push('its open files');
      } else {
        for (const l of links) {
          const inode = socketInode(l);
          if (inode !== null) sockets.push(inode);
          else if (GPU_DEVICE.test(l) && !gpuDevices.includes(l)) gpuDevices.push(l);
        }
      }
    }
    if (parts.length > 0) {
      unreadable++;
      if (denials.length < MAX_DENIALS) denials.push({ pid, name: st.comm, uid, parts });
    }
    procs.push({
      pid,
      ppid: st.ppid,
      name: st.comm,
      state: st.state,
      exe,
      cmdline: cmdlineText(rawCmd),
      argv,
      uid,
      user: users.name(uid, now),
      startTimeMs: linuxStartTimeMs(st.starttime, procRoot),
      kernelThread,
      cpuSec: Math.round(((st.utime + st.stime) / tck) * 100) / 100,
      sockets,
      gpuDevices,
    });
  }
  opts.onProgress?.(1);
  return { procs, listed, unreadable, denied: denials };
}

function argvOf(raw: string): string[] {
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0) end--;
  return end === 0 ? [] : raw.slice(0, end).split('\0');
}

/**
 * Windows and macOS: the systeminformation collector (PowerShell CIM / `ps`). No fd tables, no
 * kernel-thread flag; untested here.
 */
export async function snapshotOtherProcesses(): Promise<ProcSnapshot> {
  const reading = await new SiProcsCollector().sample();
  const procs: ScanProc[] = reading.procs.map((p) => ({
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    state: null,
    exe: p.exe,
    cmdline: p.cmdline,
    argv: p.cmdline === '' ? [] : p.cmdline.split(' '),
    uid: null,
    user: p.user,
    startTimeMs: p.startTimeMs,
    kernelThread: false,
    cpuSec: null,
    sockets: null,
    gpuDevices: [],
  }));
  return { procs, listed: new Set(procs.map((p) => p.pid)), unreadable: reading.unreadable };
}
