/**
 * When to tell the user. Deterministic and clock-free: time is whatever `t` the caller passes (the
 * samples' clock), so replays make the same decisions as the live app.
 *
 * - Once per process per away-episode: a process already notified in this episode is not again.
 * - Per-process cooldown: the same process is not notified twice within `cooldownSec`, even
 *   across episodes (a miner that trips every time you leave does not nag every time).
 * - No storms: candidates that arrive within `groupWindowSec` of each other, or while the
 *   minimum gap after the previous message runs, go out as ONE grouped message.
 * - Quiet while fullscreen (optional): nothing is shown while a fullscreen game runs; what was
 *   held goes out, grouped and titled "While you played", when it ends. High-severity ones may
 *   still go out at once (notifyHighWhileFullscreen). The trace format carries no fullscreen
 *   state, so the caller supplies it per decision (live: a hook; replay: never fullscreen).
 */
import type { Severity } from '../../../shared/detection.js';

export interface NotifySettings {
  /** Master switch (settings: notifications). */
  enabled: boolean;
  cooldownSec: number;
  groupWindowSec: number;
  /** At least this long between two messages; later candidates wait and are grouped. */
  minGapSec: number;
  quietWhileFullscreen: boolean;
  /** While quiet for a fullscreen app, high-severity candidates still go out when due. */
  notifyHighWhileFullscreen: boolean;
}

export const DEFAULT_NOTIFY: Readonly<NotifySettings> = Object.freeze({
  enabled: true,
  cooldownSec: 1800,
  groupWindowSec: 3,
  minGapSec: 60,
  quietWhileFullscreen: true,
  notifyHighWhileFullscreen: false,
});

export interface NotifyCandidate {
  /** pid:startT */
  key: string;
  pid: number;
  name: string;
  severity: Severity;
  /** The strongest reason, as the message body uses it. */
  headline: string;
  /** Away episode the trip belongs to. */
  episode: number;
}

export interface Notification {
  kind: 'single' | 'group';
  t: number;
  title: string;
  body: string;
  items: NotifyCandidate[];
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2 };

export class NotifyPolicy {
  private readonly settings: NotifySettings;
  private pending: NotifyCandidate[] = [];
  private firstPendingT = 0;
  private lastSentT = Number.NEGATIVE_INFINITY;
  /** Something was held back because a fullscreen app had the screen: the release says so. */
  private heldForPlay = false;
  /** key -> t of its last message (for the cooldown) */
  private readonly lastByKey = new Map<string, number>();
  /** key -> last episode it was notified (or queued) in */
  private readonly episodeByKey = new Map<string, number>();

  constructor(settings: Partial<NotifySettings> = {}) {
    this.settings = { ...DEFAULT_NOTIFY, ...settings };
  }

  /** Offers a process that reached medium or high. Returns false when a rule turns it away. */
  offer(c: NotifyCandidate, t: number): boolean {
    if (!this.settings.enabled || RANK[c.severity] < RANK.medium) return false;
    const queued = this.pending.find((p) => p.key === c.key);
    if (queued) {
      // Escalated while waiting: the message says the higher severity.
      if (RANK[c.severity] > RANK[queued.severity])
        Object.assign(queued, { severity: c.severity, headline: c.headline });
      return true;
    }
    if (this.episodeByKey.get(c.key) === c.episode) return false;
    const last = this.lastByKey.get(c.key);
    if (last !== undefined && t - last < this.settings.cooldownSec * 1000) return false;
    if (this.pending.length === 0) this.firstPendingT = t;
    this.pending.push({ ...c });
    this.episodeByKey.set(c.key, c.episode);
    return true;
  }

  /** Messages due at `t`. Call after each sample's offers. */
  tick(t: number, fullscreen: boolean): Notification[] {
    if (this.pending.length === 0) return [];
    const due = Math.max(
      this.firstPendingT + this.settings.groupWindowSec * 1000,
      this.lastSentT + this.settings.minGapSec * 1000,
    );
    if (this.settings.quietWhileFullscreen && fullscreen) {
      this.heldForPlay = true;
      if (!this.settings.notifyHighWhileFullscreen || t < due) return [];
      const high = this.pending.filter((p) => p.severity === 'high');
      if (high.length === 0) return [];
      this.pending = this.pending.filter((p) => p.severity !== 'high');
      if (this.pending.length > 0) this.firstPendingT = t;
      return [this.send(high, t, false)];
    }
    if (t < due) return [];
    return [this.release(t)];
  }

  /** Everything still held (end of a replay, app shutdown), as one message. */
  flush(t: number): Notification[] {
    return this.pending.length === 0 ? [] : [this.release(t)];
  }

  /** Forgets a process (it exited): nothing of it stays held. */
  forget(key: string): void {
    this.lastByKey.delete(key);
    this.episodeByKey.delete(key);
  }

  private release(t: number): Notification {
    const items = this.pending;
    this.pending = [];
    const played = this.heldForPlay;
    this.heldForPlay = false;
    return this.send(items, t, played);
  }

  private send(items: NotifyCandidate[], t: number, played: boolean): Notification {
    items.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
    this.lastSentT = t;
    for (const i of items) this.lastByKey.set(i.key, t);
    const n = compose(items, t);
    return played ? { ...n, title: `While you played: ${n.title}` } : n;
  }
}

/** The message text: one process by name with its strongest reason, or a grouped summary. */
export function compose(items: NotifyCandidate[], t: number): Notification {
  const first = items[0];
  if (items.length === 1 && first) {
    return {
      kind: 'single',
      t,
      title: `${first.name} may be mining on your computer`,
      body: first.headline,
      items,
    };
  }
  const names = items.slice(0, 4).map((i) => i.name);
  const more = items.length - names.length;
  const high = items.filter((i) => i.severity === 'high').length;
  return {
    kind: 'group',
    t,
    title: `${items.length} processes may be mining on your computer`,
    body: `${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}${high > 0 ? ` (${high} high)` : ''}. Open Idlewatch to see why.`,
    items,
  };
}
