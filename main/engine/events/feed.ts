/**
 * The SIEM event feed: listens to the engine service's own events (the ones the window gets, and
 * its action activity) and turns the state changes among them into schema events, in order.
 * Nothing is polled: an incident opens or rises when the detector says so, closes when the
 * service reports its process gone (or the user reviewed or allowlisted it), a source goes down
 * or up when a sample's source list says so, a scan finishes when the scan runner says so.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AllowlistEntry } from '../../../shared/allowlist.js';
import type { Severity } from '../../../shared/detection.js';
import type { SourceHealth, SourceStatus } from '../../../shared/engine-types.js';
import type { EventContract, IncidentView, ScanState } from '../../../shared/ipc.js';
import { hashPath } from '../scan/exe-hashes.js';
import type { ActionActivity } from '../service/activity.js';
import type { EngineService } from '../service/engine-service.js';
import {
  actionEvent,
  allowlistEvent,
  type EventStamp,
  incidentClosedEvent,
  incidentEvent,
  scanEvent,
  sourceEvent,
} from './build.js';
import type { IdlewatchEvent } from './schema.js';

export interface EventFeedOptions {
  /** Idlewatch's version (`observer.version`). */
  version: string;
  /** `host.name`; default os.hostname(). */
  hostName?: string;
  now?: () => number;
  /**
   * SHA-256 of a process's executable, or null. Default: none (the field is left out); attach()
   * uses the monitor's hash cache.
   */
  hashOf?: (p: { pid: number; exe: string | null }) => Promise<string | null>;
  /** How long an event waits for its hash before it goes out without one; default 2 s. */
  hashWaitMs?: number;
}

type Listener = (e: IdlewatchEvent) => void;

interface IncidentState {
  severity: Severity;
  open: boolean;
}

const RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2 };

/** Incidents remembered for their open/closed state; the oldest are forgotten past this. */
const MAX_TRACKED_INCIDENTS = 5000;

export class EventFeed {
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;
  private readonly hostName: string;
  private sequence = 0;
  /** Events go out in the order their causes happened, each after its hash (or its wait). */
  private chain: Promise<void> = Promise.resolve();
  private readonly incidents = new Map<string, IncidentState>();
  private readonly sources = new Map<string, SourceHealth>();
  private allowlist: Map<string, AllowlistEntry> | null = null;
  private scanRunning = false;

  constructor(private readonly opts: EventFeedOptions) {
    this.now = opts.now ?? Date.now;
    this.hostName = opts.hostName ?? hostname();
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Follows a service: its events from now on become schema events. The allowlist as it is now is
   * the baseline its changes are told against. Returns the function that stops following.
   */
  attach(service: EngineService): () => void {
    this.allowlistBaseline(service.current.allowlist.list());
    this.opts.hashOf ??= async (p) => {
      const path = hashPath(p, process.platform, '/proc');
      return path ? service.current.allowlist.hashCache.hashOf(path) : null;
    };
    const offEvents = service.onEvent((channel, payload) => {
      switch (channel) {
        case 'incident:changed': {
          const e = payload as EventContract['incident:changed'];
          this.incidentChanged(e.incident, e.change);
          break;
        }
        case 'engine:sample':
          this.sourcesSeen((payload as EventContract['engine:sample']).sources);
          break;
        case 'scan:state':
          this.scanState(payload as ScanState);
          break;
        case 'allowlist:changed':
          this.allowlistChanged(payload as AllowlistEntry[]);
          break;
      }
    });
    const offActivity = service.onActivity((a) => {
      if (a.type === 'action') this.action(a);
    });
    return () => {
      offEvents();
      offActivity();
    };
  }

  /** Resolves once every event caused so far has gone to the listeners. */
  flush(): Promise<void> {
    return this.chain;
  }

  /** The allowlist that later changes are told against (attach() sets it from the service). */
  allowlistBaseline(entries: readonly AllowlistEntry[]): void {
    this.allowlist = new Map(entries.map((e) => [e.id, e]));
  }

  incidentChanged(v: IncidentView, change: EventContract['incident:changed']['change']): void {
    const known = this.incidents.get(v.key);
    if (change === 'raised' || change === 'escalated') {
      // Silenced by the allowlist: recorded in the history, never alerted, so not sent either.
      if (v.allowlisted) {
        this.track(v.key, { severity: v.severity, open: false });
        return;
      }
      const wasOpen = known?.open === true;
      // The highest severity told so far is what a later rise is measured against.
      const kept = wasOpen && known && RANK[known.severity] > RANK[v.severity] ? known.severity : v.severity;
      this.track(v.key, { severity: kept, open: true });
      // Not open here (new, closed, or from before the feed started): it opens, at its severity.
      if (!wasOpen) this.enqueue(v, (stamp, sha) => incidentEvent(stamp, v, { kind: 'opened' }, sha));
      else if (known && RANK[v.severity] > RANK[known.severity]) {
        const from = known.severity;
        this.enqueue(v, (stamp, sha) => incidentEvent(stamp, v, { kind: 'raised', from }, sha));
      }
      return;
    }
    if (!known?.open) return;
    const why =
      change === 'reviewed' && v.reviewed
        ? 'reviewed'
        : v.allowlisted
          ? 'allowlisted'
          : v.live && !v.running
            ? 'process-exited'
            : null;
    if (why === null) return;
    known.open = false;
    this.enqueue(v, (stamp, sha) => incidentClosedEvent(stamp, v, why, sha));
  }

  action(a: ActionActivity): void {
    this.enqueue({ pid: a.process.pid, exe: a.process.exe }, (stamp, sha) => actionEvent(stamp, a, sha));
  }

  scanState(s: ScanState): void {
    if (s.running) {
      this.scanRunning = true;
      return;
    }
    if (!this.scanRunning) return;
    this.scanRunning = false;
    this.enqueue(null, (stamp) => scanEvent(stamp, s));
  }

  /** The sources as of one sample: a change of any between working and not is an event. */
  sourcesSeen(sources: readonly SourceStatus[]): void {
    for (const s of sources) {
      const before = this.sources.get(s.id);
      this.sources.set(s.id, s.health);
      // The first reading is the baseline: a source that never worked here is not news.
      if (before === undefined || (before === 'ok') === (s.health === 'ok')) continue;
      const copy = { ...s };
      this.enqueue(null, (stamp) => sourceEvent(stamp, copy, before));
    }
  }

  allowlistChanged(entries: readonly AllowlistEntry[]): void {
    const before = this.allowlist ?? new Map<string, AllowlistEntry>();
    const after = new Map(entries.map((e) => [e.id, e]));
    this.allowlist = after;
    const same = (a: AllowlistEntry, b: AllowlistEntry): boolean => JSON.stringify(a) === JSON.stringify(b);
    const added = entries.filter((e) => {
      const old = before.get(e.id);
      return !old || !same(old, e);
    });
    const removed = [...before.values()].filter((e) => {
      const now = after.get(e.id);
      return !now || !same(now, e);
    });
    if (added.length === 0 && removed.length === 0) return;
    this.enqueue(null, (stamp) => allowlistEvent(stamp, { added, removed, total: entries.length }));
  }

  private track(key: string, state: IncidentState): void {
    this.incidents.delete(key);
    this.incidents.set(key, state);
    while (this.incidents.size > MAX_TRACKED_INCIDENTS) {
      const oldest = this.incidents.keys().next().value;
      if (oldest === undefined) break;
      this.incidents.delete(oldest);
    }
  }

  /**
   * Stamps the event now (its time is when it happened) and sends it once the events before it
   * have gone and its executable's hash is known or was waited for long enough.
   */
  private enqueue(
    proc: { pid: number; exe: string | null } | null,
    make: (stamp: EventStamp, sha256: string | null) => IdlewatchEvent,
  ): void {
    const stamp: EventStamp = {
      at: this.now(),
      id: randomUUID(),
      sequence: ++this.sequence,
      hostName: this.hostName,
      version: this.opts.version,
    };
    const hash = proc ? this.hashWithin(proc) : Promise.resolve(null);
    this.chain = this.chain.then(async () => {
      let event: IdlewatchEvent;
      try {
        event = make(stamp, await hash);
      } catch {
        return; // a bug in one event must not stop the others
      }
      for (const l of this.listeners) {
        try {
          l(event);
        } catch {
          // a sink's bug must not stop the feed
        }
      }
    });
  }

  private hashWithin(p: { pid: number; exe: string | null }): Promise<string | null> {
    const hashOf = this.opts.hashOf;
    if (!hashOf || p.exe === null) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), this.opts.hashWaitMs ?? 2000);
      timer.unref?.();
      hashOf(p).then(
        (h) => {
          clearTimeout(timer);
          resolve(h);
        },
        () => {
          clearTimeout(timer);
          resolve(null);
        },
      );
    });
  }
}
