/**
 * Persistence files locked with `chattr +i` (immutable) or `+a` (append-only): kits lock their
 * crontab, ld.so.preload or authorized_keys so that a clean-up (and Idlewatch's Remove) fails,
 * even as root. The flags are inode flags only an ioctl (FS_IOC_GETFLAGS) reads, and Node has no
 * ioctl, so e2fsprogs' lsattr is run: by its full path, never through a shell, with the paths as
 * arguments after `--`, a time limit and bounded output. lsattr itself opens each file with
 * O_NONBLOCK|O_NOFOLLOW after checking it is a regular file, and only regular files that are not
 * links are handed to it (a link is followed here first, to the file it ends at).
 */
import { realpath } from 'node:fs/promises';
import { abortable, type ScanContext } from './scan-context.js';
import type { ToolRunner } from './windows-persistence.js';

/** Where lsattr lives (e2fsprogs); PATH is not searched: it is the scanned user's to change. */
export const LSATTR_PATHS = ['/usr/bin/lsattr', '/bin/lsattr', '/usr/sbin/lsattr', '/sbin/lsattr'];

/** Files per lsattr run: well under any argument-length limit. */
const BATCH = 64;
/** Files checked at most in one scan. */
export const MAX_FLAG_FILES = 1_000;
const TIMEOUT_MS = 10_000;

export interface FlagResult {
  /** Path (as passed) → lsattr's flag letters (`----i---------e-------`). */
  flags: Map<string, string>;
  /** Paths whose file system keeps no such flags (tmpfs, FAT, network file systems). */
  unsupported: string[];
  /** Paths lsattr could not read, with its reason. */
  failed: { path: string; reason: string }[];
}

/** lsattr's output: one `FLAGS PATH` line per file. Paths holding a newline are never batched. */
export function parseLsattr(stdout: string, asked: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const path = line.slice(sp + 1);
    if (asked.has(path)) out.set(path, line.slice(0, sp));
  }
  return out;
}

/** lsattr's complaints (`lsattr: Operation not supported While reading flags on PATH`). */
export function parseLsattrErrors(stderr: string, asked: ReadonlySet<string>): { path: string; reason: string }[] {
  const out: { path: string; reason: string }[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^lsattr: (.*?) (?:While reading flags on|while trying to stat|while reading flags on) (.*)$/i.exec(line);
    if (m && asked.has(m[2] as string)) out.push({ path: m[2] as string, reason: m[1] as string });
  }
  return out;
}

/** Immutable (`i`) and append-only (`a`) among lsattr's letters; other letters (e, A, s…) do not lock a file. */
export function lockOf(flags: string): { immutable: boolean; appendOnly: boolean } {
  return { immutable: flags.includes('i'), appendOnly: flags.includes('a') };
}

/** The lsattr this machine has, or null. */
export async function findLsattr(ctx: ScanContext, candidates = LSATTR_PATHS): Promise<string | null> {
  for (const p of candidates) {
    const st = await ctx.fs.stat(p).catch(() => null);
    if (st?.kind === 'file' && (st.mode & 0o111) !== 0) return p;
  }
  return null;
}

/**
 * The regular file (or, for folders, the folder) each path ends at, a link followed to its end;
 * null for anything else: lsattr is never pointed at a FIFO or a device.
 */
async function target(ctx: ScanContext, path: string, want: 'file' | 'dir'): Promise<string | null> {
  const l = await ctx.fs.lstat(path).catch(() => null);
  if (!l) return null;
  if (l.kind === want) return path;
  if (l.kind !== 'link') return null;
  const end = await realpath(path).catch(() => null);
  if (end === null) return null;
  const st = await ctx.fs.lstat(end).catch(() => null);
  return st?.kind === want ? end : null;
}

/** Reads the flags of `paths` (as they lie on disk); what could not be read is in `failed`/`unsupported`. */
export async function readFileFlags(
  ctx: ScanContext,
  run: ToolRunner,
  lsattr: string,
  paths: readonly string[],
  /** Folders: their own flags (lsattr -d), not their contents'. */
  want: 'file' | 'dir' = 'file',
): Promise<FlagResult & { targets: Map<string, string> }> {
  const result = { flags: new Map<string, string>(), unsupported: [] as string[], failed: [] as FlagResult['failed'] };
  /** Path as given → the regular file read for it. */
  const targets = new Map<string, string>();
  for (const p of paths.slice(0, MAX_FLAG_FILES)) {
    ctx.checkAbort();
    const t = await target(ctx, p, want);
    if (t !== null) targets.set(p, t);
  }
  const files = [...new Set(targets.values())];
  const batches: string[][] = [];
  let batch: string[] = [];
  for (const f of files) {
    if (f.includes('\n')) {
      batches.push([f]);
      continue;
    }
    batch.push(f);
    if (batch.length === BATCH) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  const flags = new Map<string, string>();
  for (const b of batches) {
    ctx.checkAbort();
    const asked = new Set(b);
    const r = await abortable(
      run(lsattr, [...(want === 'dir' ? ['-d'] : []), '--', ...b], {
        timeoutMs: TIMEOUT_MS,
        maxBuffer: 1024 * 1024,
        // Its complaints are parsed: in English, whatever the user's language.
        env: { ...process.env, LC_ALL: 'C', LANGUAGE: 'C' },
      }),
      ctx.signal,
    );
    if (b.length === 1 && (b[0] as string).includes('\n')) {
      // One file whose name holds a newline: the output is its flags, a blank, and the name.
      const f = b[0] as string;
      if (r.stdout.endsWith(`${f}\n`) || r.stdout.endsWith(f)) flags.set(f, r.stdout.split(' ')[0] ?? '');
    } else {
      for (const [k, v] of parseLsattr(r.stdout, asked)) flags.set(k, v);
    }
    for (const e of parseLsattrErrors(r.stderr, asked)) {
      if (/not supported|inappropriate ioctl/i.test(e.reason)) result.unsupported.push(e.path);
      else result.failed.push(e);
    }
    if (!r.ok && r.code !== 1) {
      // Killed at its time limit or could not start: every file of the batch is unknown.
      for (const f of b) if (!flags.has(f)) result.failed.push({ path: f, reason: r.error ?? 'lsattr failed' });
    }
  }
  for (const [p, t] of targets) {
    const f = flags.get(t);
    if (f !== undefined) result.flags.set(p, f);
  }
  return { ...result, targets };
}
