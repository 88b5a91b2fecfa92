/**
 * A fake /proc and /sys in a temp dir for the DRM collector tests. Device nodes cannot be created by a
 * test, so DRM fds are symlinks whose target is `/dev/dri/renderD128`: the collector accepts those by
 * their link text (see isDrmFdLink), exactly as it does on a real system.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DrmFs, nodeDrmFs } from '../main/engine/platform/linux/drm/drm-fs.js';

export class FakeDrmTree {
  readonly root = mkdtempSync(join(tmpdir(), 'idlewatch-drm-'));
  readonly proc = join(this.root, 'proc');
  readonly sys = join(this.root, 'sys');

  constructor() {
    mkdirSync(this.proc, { recursive: true });
    mkdirSync(join(this.sys, 'class', 'drm'), { recursive: true });
  }

  /** An open fd: `target` is what readlink shows; `fdinfo` the text of /proc/PID/fdinfo/N. */
  addFd(pid: number, fd: number, target: string, fdinfo = 'pos:\t0\nflags:\t02\nmnt_id:\t8\nino:\t1\n'): void {
    mkdirSync(join(this.proc, String(pid), 'fd'), { recursive: true });
    mkdirSync(join(this.proc, String(pid), 'fdinfo'), { recursive: true });
    symlinkSync(target, join(this.proc, String(pid), 'fd', String(fd)));
    this.setFdinfo(pid, fd, fdinfo);
  }

  addDrmFd(pid: number, fd: number, fdinfo: string): void {
    this.addFd(pid, fd, '/dev/dri/renderD128', fdinfo);
  }

  setFdinfo(pid: number, fd: number, text: string): void {
    writeFileSync(join(this.proc, String(pid), 'fdinfo', String(fd)), text);
  }

  /** The process exits. */
  removePid(pid: number): void {
    rmSync(join(this.proc, String(pid)), { recursive: true, force: true });
  }

  /** The process is still listed but its fd tables are gone (it is exiting as we read it). */
  removeFdTables(pid: number): void {
    rmSync(join(this.proc, String(pid), 'fd'), { recursive: true, force: true });
    rmSync(join(this.proc, String(pid), 'fdinfo'), { recursive: true, force: true });
  }

  /** /sys/class/drm/<card>/device with the given attribute files. */
  addCard(card: string, attrs: Record<string, string>): void {
    const dir = join(this.sys, 'class', 'drm', card, 'device');
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(attrs)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
  }

  /** A /sys/class/drm entry that is not a card (connector, render node). */
  addDrmEntry(name: string): void {
    mkdirSync(join(this.sys, 'class', 'drm', name), { recursive: true });
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface CountingFs {
  fs: DrmFs;
  /** Every path passed to each call, in order. */
  calls: { readdir: string[]; readFile: string[]; readlink: string[]; stat: string[] };
  /** Paths whose reads fail with EACCES, as another user's process does. */
  denied: Set<string>;
}

function eacces(path: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`EACCES: permission denied, '${path}'`);
  e.code = 'EACCES';
  return e;
}

/** Wraps the real fs to record what the collector reads and to deny chosen paths. */
export function countingFs(base: DrmFs = nodeDrmFs): CountingFs {
  const calls = { readdir: [] as string[], readFile: [] as string[], readlink: [] as string[], stat: [] as string[] };
  const denied = new Set<string>();
  const guard = (path: string): void => {
    if (denied.has(path)) throw eacces(path);
  };
  const fs: DrmFs = {
    readdir: (path) => {
      calls.readdir.push(path);
      guard(path);
      return base.readdir(path);
    },
    readFile: (path) => {
      calls.readFile.push(path);
      guard(path);
      return base.readFile(path);
    },
    readlink: (path) => {
      calls.readlink.push(path);
      guard(path);
      return base.readlink(path);
    },
    realpath: (path) => base.realpath(path),
    charDeviceRdev: (path) => {
      calls.stat.push(path);
      return base.charDeviceRdev(path);
    },
  };
  return { fs, calls, denied };
}

/** Rewrites `key: <n>` in an fdinfo text to `key: <n + delta>`, keeping the separator and unit. */
export function bump(text: string, key: string, delta: number): string {
  const re = new RegExp(`^(${key.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}:\\s*)(\\d+)`, 'm');
  const m = re.exec(text);
  if (!m?.[2]) throw new Error(`fdinfo has no ${key} line`);
  return text.replace(re, `$1${Number(m[2]) + delta}`);
}

/** Replaces the value of `key:` (whatever it was) with `value`. */
export function setKey(text: string, key: string, value: string): string {
  const re = new RegExp(`^(${key.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}:\\s*)(.*)$`, 'm');
  if (!re.test(text)) throw new Error(`fdinfo has no ${key} line`);
  return text.replace(re, `$1${value}`);
}
