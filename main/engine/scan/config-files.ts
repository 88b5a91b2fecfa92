/**
 * Reading the small line-based configuration files the tamper step checks (sysctl.d, modprobe.d,
 * modules-load.d, authorized_keys, sshd_config) under the scan's root, with the fingerprint a
 * line removal needs, and the systemd-style `*.conf` folders where a file in /etc overrides (or,
 * linked to /dev/null, masks) the same name in /run and the vendor folders.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { PersistenceKind, ScanStepId } from '../../../shared/scan.js';
import { MAX_TEXT_FILE, type ScanContext } from './scan-context.js';

export interface ConfigFile {
  /** Where it lies on disk (under a `--root` folder: that folder's path), as findings name it. */
  file: string;
  /** The system path (`/etc/sysctl.d/10-x.conf`). */
  path: string;
  fileState: { size: number; mtimeMs: number; sha256: string };
  /** The inode's change time; the modification time when the file system gives none. */
  ctimeMs: number;
  /** The lines, without their `\n` or `\r\n`, as a line removal compares them. */
  lines: string[];
}

/** A file of at most 1 MB; null (with a problem, or an odd place where `kind` is given) when it cannot be read. */
export async function readConfigFile(
  ctx: ScanContext,
  step: ScanStepId,
  path: string,
  kind?: PersistenceKind,
): Promise<ConfigFile | null> {
  const file = ctx.resolve(path);
  const read = await ctx.readFile(step, file, MAX_TEXT_FILE, kind);
  if (!read) return null;
  const buf = read.data;
  return {
    file,
    path,
    fileState: { size: buf.length, mtimeMs: read.mtimeMs, sha256: createHash('sha256').update(buf).digest('hex') },
    ctimeMs: read.ctimeMs ?? read.mtimeMs,
    lines: buf
      .toString('utf8')
      .split('\n')
      .map((l) => l.replace(/\r$/, '')),
  };
}

/**
 * The `*SUFFIX` files of systemd-style configuration folders, in the order they apply: sorted by
 * name across the folders, a name in an earlier folder hiding the same name in later ones, a name
 * linked to /dev/null (masked) applying nothing. Folders that are links (a merged /lib → /usr/lib)
 * are read once.
 */
export async function confDirFiles(
  ctx: ScanContext,
  step: ScanStepId,
  dirs: readonly string[],
  suffix: string,
  kind?: PersistenceKind,
): Promise<string[]> {
  const byName = new Map<string, string>();
  for (const dir of dirs) {
    if (await isLinkedFolder(ctx, dir)) continue;
    for (const name of (await ctx.listDir(step, ctx.resolve(dir), kind)) ?? []) {
      if (!name.endsWith(suffix) || name.startsWith('.') || byName.has(name)) continue;
      byName.set(name, posix.join(dir, name));
    }
  }
  const out: string[] = [];
  for (const name of [...byName.keys()].sort()) {
    const path = byName.get(name) as string;
    const st = await ctx.fs.lstat(ctx.resolve(path)).catch(() => null);
    if (st?.kind === 'link') {
      const target = await ctx.fs.readlink(ctx.resolve(path)).catch(() => null);
      if (target === '/dev/null') continue; // masked: applies nothing
    }
    out.push(path);
  }
  return out;
}

/** True when `dir` or one of its parents under the root is a link (`/lib` → `usr/lib`): read through its target instead. */
async function isLinkedFolder(ctx: ScanContext, dir: string): Promise<boolean> {
  const parts = dir.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const st = await ctx.fs.lstat(ctx.resolve(`/${parts.slice(0, i).join('/')}`)).catch(() => null);
    if (st === null) return false;
    if (st.kind === 'link') return true;
  }
  return false;
}

/** Single-quoted for a POSIX shell, so a path from the machine is one word whatever it holds. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** "3 hours", "2 days": how long ago, for evidence. */
export function ago(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 60) return `${min} minute${min === 1 ? '' : 's'}`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'}`;
  const d = Math.round(h / 24);
  return `${d} days`;
}
