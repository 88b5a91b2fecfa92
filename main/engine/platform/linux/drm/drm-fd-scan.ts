/**
 * Finds the processes holding DRM device fds and reads those fds' fdinfo every tick.
 *
 * Cost model: walking every process's fd table means one readlink per open fd on the machine (tens of
 * thousands on a desktop with a browser), far too much for every tick. So the walk happens only every
 * `fullScanEveryMs`, plus once for each pid that appeared since the last tick; in between, the tick
 * lists /proc (one getdents) and reads just the fdinfo files of fds already known to be DRM clients.
 * A process that opens the GPU later is therefore found within `fullScanEveryMs`; a process that starts
 * with it open, on its first tick.
 */
import type { DrmFs } from './drm-fs.js';
import { DRM_MAJOR, deviceMajor, errnoCode } from './drm-fs.js';
import type { DrmFdinfo } from './fdinfo-parse.js';
import { parseFdinfo } from './fdinfo-parse.js';

/** One DRM client as seen through one fd of one process this tick. */
export interface DrmFdRead {
  pid: number;
  fd: string;
  info: DrmFdinfo;
}

export interface DrmScanTick {
  reads: DrmFdRead[];
  /** Whether this tick walked every process (callers refresh other slow-changing state with it). */
  fullScan: boolean;
}

const PID_DIR = /^\d+$/;

/**
 * Whether /proc/PID/fd/N is a DRM device fd. The link text decides most fds without a stat:
 * `/dev/dri/...` is DRM (this is also what makes a fake /proc of symlinks in a temp dir work, since a
 * test cannot create device nodes); `socket:[…]`, `pipe:[…]`, `anon_inode:…` and files outside /dev
 * are not. Anything else under /dev (a container that put the nodes elsewhere, a renamed node) is
 * settled by the real check: stat through the link, character device with major 226.
 */
export function isDrmFdLink(fs: DrmFs, fdPath: string): boolean {
  let target: string;
  try {
    target = fs.readlink(fdPath);
  } catch {
    return false;
  }
  if (target.startsWith('/dev/dri/')) return true;
  if (!target.startsWith('/dev/')) return false;
  try {
    const rdev = fs.charDeviceRdev(fdPath);
    return rdev !== null && deviceMajor(rdev) === DRM_MAJOR;
  } catch {
    return false;
  }
}

export class DrmFdScanner {
  /** pid → fd numbers known to be DRM clients. Only pids still listed in /proc are kept. */
  private readonly known = new Map<number, Set<string>>();
  /** Pids listed on the previous tick, to spot new ones. Replaced every tick, so bounded by /proc. */
  private seen = new Set<number>();
  /** Pids whose fd table we may not read (another user's, without privilege). Pruned like `known`. */
  private readonly denied = new Set<number>();
  private lastFullScanAt: number | null = null;

  constructor(
    private readonly fs: DrmFs,
    private readonly procRoot: string,
    private readonly fullScanEveryMs: number,
  ) {}

  /** Processes whose GPU use could not be read (permission denied), as of the last scan. */
  get deniedCount(): number {
    return this.denied.size;
  }

  /** Processes currently known to hold DRM fds. */
  get drmPidCount(): number {
    return this.known.size;
  }

  reset(): void {
    this.known.clear();
    this.seen = new Set();
    this.denied.clear();
    this.lastFullScanAt = null;
  }

  /** Throws only when /proc itself cannot be listed; per-process failures are absorbed. */
  tick(nowMs: number): DrmScanTick {
    const pids = this.listPids();
    const last = this.lastFullScanAt;
    // A clock that jumped backwards must not postpone the next walk until it catches up.
    const fullScan = last === null || nowMs - last >= this.fullScanEveryMs || nowMs < last;

    const listed = new Set(pids);
    for (const pid of pids) {
      if (fullScan || !this.seen.has(pid)) this.scanPid(pid);
    }
    for (const pid of this.known.keys()) if (!listed.has(pid)) this.known.delete(pid);
    for (const pid of this.denied) if (!listed.has(pid)) this.denied.delete(pid);
    this.seen = listed;
    if (fullScan) this.lastFullScanAt = nowMs;

    return { reads: this.readKnown(), fullScan };
  }

  private listPids(): number[] {
    const pids: number[] = [];
    for (const name of this.fs.readdir(this.procRoot)) if (PID_DIR.test(name)) pids.push(Number(name));
    return pids;
  }

  private scanPid(pid: number): void {
    const fdDir = `${this.procRoot}/${pid}/fd`;
    let fds: string[];
    try {
      fds = this.fs.readdir(fdDir);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EACCES' || code === 'EPERM') this.denied.add(pid);
      else this.known.delete(pid); // exited mid-scan (ENOENT/ESRCH), or a zombie with no fd table
      return;
    }
    this.denied.delete(pid);
    let drm: Set<string> | null = null;
    for (const fd of fds) {
      if (isDrmFdLink(this.fs, `${fdDir}/${fd}`)) {
        drm ??= new Set();
        drm.add(fd);
      }
    }
    if (drm) this.known.set(pid, drm);
    else this.known.delete(pid);
  }

  private readKnown(): DrmFdRead[] {
    const reads: DrmFdRead[] = [];
    for (const [pid, fds] of this.known) {
      for (const fd of fds) {
        let text: string;
        try {
          text = this.fs.readFile(`${this.procRoot}/${pid}/fdinfo/${fd}`);
        } catch (e) {
          const code = errnoCode(e);
          if (code === 'EACCES' || code === 'EPERM') {
            // The pid now belongs to another user (it exec'd a setuid program): stop reading it.
            this.denied.add(pid);
            this.known.delete(pid);
            break;
          }
          fds.delete(fd); // closed, or the process exited
          continue;
        }
        const info = parseFdinfo(text);
        // The fd number was closed and reused for something else; the next full scan re-checks the pid.
        if (info === null) fds.delete(fd);
        else reads.push({ pid, fd, info });
      }
      if (fds.size === 0) this.known.delete(pid);
    }
    return reads;
  }
}
