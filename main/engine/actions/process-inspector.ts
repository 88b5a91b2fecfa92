import { readdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { UserNames } from '../platform/linux/users.js';
import { readLinuxProcDetails, readLinuxProcState } from './linux-proc-state.js';

/** A process as an action sees it right before acting. */
export interface LiveProcess {
  pid: number;
  ppid: number;
  name: string;
  exe: string | null;
  cmdline: string;
  /** Epoch ms, comparable with the engine's `startTimeMs` within the inspector's tolerance. */
  startTimeMs: number;
  uid: number | null;
  user: string | null;
  status: 'running' | 'stopped' | 'zombie';
  kernelThread: boolean;
  /**
   * Who owns the running program's file and its folder (Linux: the inode the process runs, read
   * through /proc/PID/exe, so a renamed or replaced path cannot lie). The protection rules trust a
   * system program only when root owns both and neither is writable by anyone else. Absent where
   * the platform's inspector cannot tell.
   */
  exeFile?: ExeFileOwner | null;
}

export interface ExeFileOwner {
  uid: number;
  /** st_mode permission bits. */
  mode: number;
  dirUid: number;
  dirMode: number;
}

/** Result of a cheap check while waiting for a signal to take effect. */
export type PollState = 'running' | 'stopped' | 'zombie' | 'gone';

/** Per-platform access to live processes, used by the actions (and replaced in tests). */
export interface ProcessInspector {
  readonly platform: NodeJS.Platform;
  /** How far apart two reported start times may be and still name the same process. */
  readonly startToleranceMs: number;
  /** Null when no process has this pid. */
  inspect(pid: number): Promise<LiveProcess | null>;
  /** `gone` also when the pid now belongs to a process started at another time. */
  poll(pid: number, startTimeMs: number): Promise<PollState>;
  /** `pid` followed by its parent, grandparent, … as far as they can be read. */
  lineage(pid: number): Promise<number[]>;
  /** Every live process's parent, by pid: the protection rules find Idlewatch's own processes in it. */
  parentTable(): Promise<Map<number, number>>;
}

/** Deep enough for any real process tree; bounds the walk if a ppid cycle is ever read mid-change. */
export const MAX_LINEAGE_DEPTH = 64;

/**
 * Linux: straight from /proc. Start times are compared within one clock tick at USER_HZ 100
 * (10 ms): both sides compute boot time + start ticks the same way, so they normally agree exactly.
 */
export class LinuxInspector implements ProcessInspector {
  readonly platform = 'linux' as const;
  readonly startToleranceMs = 10;
  private readonly users: UserNames;

  constructor(
    private readonly procRoot = '/proc',
    passwdPath?: string,
  ) {
    this.users = new UserNames(passwdPath);
  }

  async inspect(pid: number): Promise<LiveProcess | null> {
    const d = readLinuxProcDetails(pid, this.procRoot);
    if (!d) return null;
    return {
      pid,
      ppid: d.ppid,
      name: d.comm,
      exe: d.exe,
      cmdline: d.cmdline,
      startTimeMs: d.startTimeMs,
      uid: d.uid,
      user: d.uid === null ? null : this.users.name(d.uid, Date.now()),
      status: linuxStatus(d.state),
      kernelThread: d.kernelThread,
      exeFile: d.exe === null ? null : this.exeOwner(pid, d.exe),
    };
  }

  /** The running inode's owner (through the exe link, which follows a deleted file too) and its folder's. */
  private exeOwner(pid: number, exe: string): ExeFileOwner | null {
    const path = exe.endsWith(' (deleted)') ? exe.slice(0, -' (deleted)'.length) : exe;
    try {
      const file = statSync(`${this.procRoot}/${pid}/exe`);
      const dir = statSync(posix.dirname(path));
      return { uid: file.uid, mode: file.mode & 0o7777, dirUid: dir.uid, dirMode: dir.mode & 0o7777 };
    } catch {
      return null;
    }
  }

  async parentTable(): Promise<Map<number, number>> {
    const table = new Map<number, number>();
    let entries: string[];
    try {
      entries = readdirSync(this.procRoot);
    } catch {
      return table;
    }
    for (const e of entries) {
      if (!/^\d+$/.test(e)) continue;
      const st = readLinuxProcState(Number(e), this.procRoot);
      if (st) table.set(st.pid, st.ppid);
    }
    return table;
  }

  async poll(pid: number, startTimeMs: number): Promise<PollState> {
    const st = readLinuxProcState(pid, this.procRoot);
    if (!st || Math.abs(st.startTimeMs - startTimeMs) > this.startToleranceMs) return 'gone';
    return linuxStatus(st.state);
  }

  async lineage(pid: number): Promise<number[]> {
    const chain = [pid];
    let cur = pid;
    while (chain.length < MAX_LINEAGE_DEPTH) {
      const st = readLinuxProcState(cur, this.procRoot);
      if (!st || st.ppid <= 0 || chain.includes(st.ppid)) break;
      chain.push(st.ppid);
      cur = st.ppid;
    }
    return chain;
  }
}

function linuxStatus(state: string): LiveProcess['status'] {
  if (state === 'Z' || state === 'X' || state === 'x') return 'zombie';
  // 't' is stopped by a tracer; it does not run either.
  if (state === 'T' || state === 't') return 'stopped';
  return 'running';
}
