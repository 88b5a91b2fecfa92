import {
  describeHolder,
  type LockHolder,
  type LockOwner,
  type ProcessProbe,
  SamplerLock,
} from '../store/sampler-lock.js';

export interface GateHooks {
  /** The lock is ours (at once, or after waiting): sampling may start. */
  taken(): Promise<void>;
  /** Another process holds it (at the start, or it took ours): sampling must stop and wait. */
  waiting(holder: LockHolder, message: string): Promise<void>;
  /** Every poll while waiting: the holder's records may have changed. */
  poll(): Promise<void>;
}

/** How often a waiting engine looks at the lock and the holder's incident history. */
export const STANDBY_POLL_MS = 5000;

/**
 * The desktop app's side of the data folder's sampler lock (store/sampler-lock.ts). When the daemon
 * samples with the same folder, the app's engine does not sample too (two samplers would record
 * every incident twice): it waits, shows what the daemon records, and takes over when the daemon
 * stops. A lock lost while sampling (removed by hand, taken by a process that judged us dead) is
 * taken again when free, else sampling stops and waits.
 */
export class SamplerGate {
  private lock: SamplerLock | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private busy = false;
  holder: LockHolder | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly owner: LockOwner,
    private readonly hooks: GateHooks,
    private readonly opts: { pollMs?: number; probe?: ProcessProbe } = {},
  ) {}

  static message(holder: LockHolder): string {
    const who = holder.owner === 'daemon' ? `The Idlewatch daemon (pid ${holder.pid})` : `${describeHolder(holder)}`;
    return `${who} is monitoring this machine with this data folder: this window shows the incidents it records, and monitoring here starts when it stops.`;
  }

  /** Takes the lock (and calls `taken`) or starts waiting (and calls `waiting`). */
  async open(): Promise<boolean> {
    const r = await SamplerLock.acquire(this.dataDir, this.owner, { probe: this.opts.probe });
    if (this.closed) {
      if (r.ok) await r.lock.release();
      return false;
    }
    if (r.ok) {
      this.hold(r.lock);
      await this.hooks.taken();
      return true;
    }
    await this.wait(r.holder);
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.lock?.release();
    this.lock = null;
  }

  private hold(lock: SamplerLock): void {
    this.lock = lock;
    this.holder = null;
    lock.watch(() => {
      this.lock = null;
      void this.reopenAfterLoss();
    });
  }

  private async reopenAfterLoss(): Promise<void> {
    if (this.closed) return;
    const r = await SamplerLock.acquire(this.dataDir, this.owner, { probe: this.opts.probe });
    if (this.closed) {
      if (r.ok) await r.lock.release();
      return;
    }
    if (r.ok) this.hold(r.lock);
    else await this.wait(r.holder);
  }

  private async wait(holder: LockHolder): Promise<void> {
    this.holder = holder;
    await this.hooks.waiting(holder, SamplerGate.message(holder));
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? STANDBY_POLL_MS);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      const r = await SamplerLock.acquire(this.dataDir, this.owner, { probe: this.opts.probe });
      if (this.closed) {
        if (r.ok) await r.lock.release();
        return;
      }
      if (r.ok) {
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        this.hold(r.lock);
        await this.hooks.taken();
      } else {
        this.holder = r.holder;
        await this.hooks.poll();
      }
    } catch {
      // An unreadable lock file this time: the next poll tries again.
    } finally {
      this.busy = false;
    }
  }
}
