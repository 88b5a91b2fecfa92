import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * One sampler per data folder. The desktop app's engine and `idlewatch daemon` both sample the
 * machine and append to the same incident history; two at once would record every incident twice
 * and fight over settings. Whoever starts first holds `sampler.lock` (its pid, the process's start
 * time and the boot it belongs to); the other refuses (the daemon) or shows the holder's incidents
 * read-only until the lock is free (the app).
 *
 * A lock left by a process that died is stale and is taken over. The pid alone would not tell: pids
 * are reused, so a lock names the holder by pid AND start time (and boot id, on Linux), and a live
 * process with that pid but another start time is a stranger, not the holder.
 */

export const LOCK_FILE = 'sampler.lock';

export type LockOwner = 'daemon' | 'app';

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  owner: LockOwner;
  /** The process's start time as the OS reports it (Linux: clock ticks after boot); null where unknown. */
  start: string | null;
  /** Linux's boot id: a lock from an earlier boot is stale whatever its pid. */
  boot: string | null;
  /** When the lock was taken, epoch ms. */
  since: number;
}

export type LockResult = { ok: true; lock: SamplerLock } | { ok: false; holder: LockHolder };

/** What the lock needs to know of processes (tests replace it to stage a reused pid). */
export interface ProcessProbe {
  /** The process's start time, or null when no such process runs; '' when it runs but the time is unknown. */
  startOf(pid: number): string | null;
  bootId(): string | null;
}

export const realProbe: ProcessProbe = {
  startOf(pid) {
    if (process.platform === 'linux') {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
        // Field 22 (starttime), counted after the command name, which may hold spaces and ')'.
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
      } catch {
        return null;
      }
    }
    try {
      process.kill(pid, 0);
      return '';
    } catch (e) {
      // EPERM: it runs, as another user.
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? '' : null;
    }
  },
  bootId() {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim() || null;
    } catch {
      return null;
    }
  },
};

/** Whether the process the lock names still runs: same pid, and the same start time where known. */
export function holderAlive(h: LockHolder, probe: ProcessProbe = realProbe): boolean {
  if (h.boot !== null && probe.bootId() !== null && h.boot !== probe.bootId()) return false;
  const start = probe.startOf(h.pid);
  if (start === null) return false;
  if (start === '' || h.start === null) return true;
  return start === h.start;
}

export function describeHolder(h: LockHolder): string {
  return h.owner === 'daemon' ? `idlewatch daemon (pid ${h.pid})` : `the Idlewatch app (pid ${h.pid})`;
}

function parseHolder(text: string): LockHolder | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 0) return null;
  if (o.owner !== 'daemon' && o.owner !== 'app') return null;
  return {
    pid: o.pid as number,
    owner: o.owner,
    start: typeof o.start === 'string' ? o.start : null,
    boot: typeof o.boot === 'string' ? o.boot : null,
    since: typeof o.since === 'number' ? o.since : 0,
  };
}

/** How often a holder checks that the file still names it (someone may have removed it). */
const VERIFY_MS = 5000;

export class SamplerLock {
  private timer: NodeJS.Timeout | null = null;
  private released = false;

  private constructor(
    readonly path: string,
    readonly holder: LockHolder,
    private readonly text: string,
  ) {}

  /**
   * Takes the data folder's sampler lock, or says who holds it. A stale lock (its process is gone,
   * or its pid now belongs to another process) is taken over: deleted under a takeover mutex after
   * reading it again, so two processes taking over the same stale lock cannot both win.
   */
  static async acquire(
    dataDir: string,
    owner: LockOwner,
    opts: { probe?: ProcessProbe; pid?: number; now?: () => number } = {},
  ): Promise<LockResult> {
    const probe = opts.probe ?? realProbe;
    const pid = opts.pid ?? process.pid;
    const path = join(dataDir, LOCK_FILE);
    const me: LockHolder = {
      pid,
      owner,
      start: probe.startOf(pid) || null,
      boot: probe.bootId(),
      since: (opts.now ?? Date.now)(),
    };
    const text = `${JSON.stringify(me)}\n`;
    // Each round: create, or judge the holder; a taker waiting for another's takeover tries again.
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o600);
        try {
          await fh.writeFile(text, 'utf8');
        } finally {
          await fh.close();
        }
        return { ok: true, lock: new SamplerLock(path, me, text) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(path, e);
      }
      let existing: string;
      try {
        existing = await readFile(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw lockError(path, e);
      }
      const holder = parseHolder(existing);
      // An empty or unreadable lock is one whose writer died between creating and writing it.
      if (holder && holder.pid !== pid && holderAlive(holder, probe)) return { ok: false, holder };
      if (holder && holder.pid === pid && holder.start === me.start) {
        // Our own (a restart of the service inside this process): taken again as is.
        return { ok: true, lock: new SamplerLock(path, holder, existing) };
      }
      await takeOverStale(path, existing);
    }
    throw new Error(`could not take the sampler lock ${path}: it kept changing (another process is starting)`);
  }

  /** Calls `onLost` if the file stops naming this process (removed by hand, taken by another). */
  watch(onLost: (now: LockHolder | null) => void): void {
    if (this.timer || this.released) return;
    this.timer = setInterval(() => {
      void readFile(this.path, 'utf8').then(
        (t) => {
          if (t !== this.text && !this.released) {
            this.stopWatching();
            onLost(parseHolder(t));
          }
        },
        () => {
          if (this.released) return;
          this.stopWatching();
          onLost(null);
        },
      );
    }, VERIFY_MS);
    this.timer.unref();
  }

  /** Removes the lock, only if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stopWatching();
    try {
      if ((await readFile(this.path, 'utf8')) === this.text) await unlink(this.path);
    } catch {
      // already gone
    }
  }

  /** The synchronous release for process exit handlers. */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    this.stopWatching();
    try {
      if (readFileSync(this.path, 'utf8') === this.text) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }

  private stopWatching(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** How long a takeover may hold its mutex before others count its taker as dead. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Removes the stale lock so that the next exclusive create can win, under a second, short-lived
 * lock (`sampler.lock.takeover`, created exclusively): only its holder may delete the lock file,
 * and only after reading it again under that mutex and finding the very stale text it judged. The
 * stale text names a dead process, so nothing but a mutex holder removes it, and no fresh lock can
 * be deleted by a taker that judged an older file. Without the mutex, a taker that moved a fresh
 * lock aside to check it opened a window in which a third one could create another (two winners).
 */
async function takeOverStale(path: string, staleText: string): Promise<void> {
  const mutex = `${path}.takeover`;
  try {
    await (await open(mutex, 'wx', 0o600)).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(mutex, e);
    // Another taker is at it. One that died holding the mutex leaves it behind: removed once old.
    const st = await stat(mutex).catch(() => null);
    if (st && Date.now() - st.mtimeMs > TAKEOVER_STALE_MS) await unlink(mutex).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
    return;
  }
  try {
    const now = await readFile(path, 'utf8').catch(() => null);
    if (now === staleText) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(mutex).catch(() => undefined);
  }
}

function lockError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  return new Error(`could not use the sampler lock ${path}: ${code ?? (e as Error).message}`);
}
