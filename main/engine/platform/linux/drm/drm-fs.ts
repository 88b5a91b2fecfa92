/**
 * The few filesystem calls the DRM collector makes, behind an interface so tests can run it against a
 * fake /proc and /sys in a temp dir and count what it reads. All synchronous: the files are tiny
 * procfs/sysfs entries, and a sync read is the cheapest way to get them on the sampling thread.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';

export interface DrmFs {
  readdir(path: string): string[];
  readFile(path: string): string;
  readlink(path: string): string;
  realpath(path: string): string;
  /** Follows links. The device number (st_rdev) when `path` resolves to a character device, else null. */
  charDeviceRdev(path: string): number | null;
}

export const nodeDrmFs: DrmFs = {
  readdir: (path) => readdirSync(path),
  readFile: (path) => readFileSync(path, 'utf8'),
  readlink: (path) => readlinkSync(path),
  realpath: (path) => realpathSync(path),
  charDeviceRdev: (path) => {
    const st = statSync(path);
    return st.isCharacterDevice() ? st.rdev : null;
  },
};

/** The DRM subsystem's character-device major (include/uapi/drm/drm.h, DRM_MAJOR): card* and renderD*. */
export const DRM_MAJOR = 226;

/** glibc's gnu_dev_major: 12 bits at 8..19 plus the high bits above 32 (large majors). */
export function deviceMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

/** The errno code of a failed fs call (`ENOENT`, `EACCES`), if it has one. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Reads a file, or null when it is missing or unreadable: optional sysfs attributes are the norm. */
export function readOptional(fs: DrmFs, path: string): string | null {
  try {
    return fs.readFile(path);
  } catch {
    return null;
  }
}
