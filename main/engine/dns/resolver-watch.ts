/**
 * The live monitor's view of the resolver cache: address -> mining domain, for the detector's
 * pool-connection rule. It costs nothing until the detector asks about the connections of a busy
 * process; a question it cannot answer starts one background read of the cache (one short tool
 * run), at most once a minute, and a source that does not work is tried again only after ten
 * minutes. The answer is there for the next full pass (connections are read on full passes).
 */
import type { Availability } from '../platform/collector.js';
import type { Platform } from '../../../shared/trace.js';
import { type DomainList, loadMiningDomains } from '../detect/mining-domains.js';
import { runFile } from '../util/exec.js';
import { type MiningCacheHit, miningAddresses, miningCacheHits, normalizeAddress } from './mining-cache.js';
import { type ReadResolverOptions, readResolverCache, type ToolRunner } from './resolver-cache.js';

export const MIN_REFRESH_MS = 60_000;
export const FAILED_RETRY_MS = 10 * 60_000;

export interface ResolverWatchOptions {
  platform: Platform;
  run?: ToolRunner;
  /** A loaded list; else it is loaded (data folder copy, else the shipped file) on the first read. */
  domains?: DomainList;
  dataDir?: string | null;
  resolvectl?: string;
  powershell?: string;
  now?: () => number;
  minRefreshMs?: number;
}

export interface ResolverWatchStatus {
  /** null until the first read. */
  ok: boolean | null;
  source: string | null;
  detail: string;
  lastReadMs: number | null;
  reads: number;
  /** Addresses mapped to a mining domain now. */
  miningAddresses: number;
}

export class ResolverWatch {
  private map = new Map<string, MiningCacheHit>();
  private domains: DomainList | null;
  private lastAttemptMs: number | null = null;
  private inFlight: Promise<void> | null = null;
  private state: ResolverWatchStatus = {
    ok: null,
    source: null,
    detail: 'not read yet: it is read when a busy process has connections',
    lastReadMs: null,
    reads: 0,
    miningAddresses: 0,
  };
  private readonly now: () => number;
  private readonly minRefreshMs: number;

  constructor(private readonly opts: ResolverWatchOptions) {
    this.domains = opts.domains ?? null;
    this.now = opts.now ?? Date.now;
    this.minRefreshMs = opts.minRefreshMs ?? MIN_REFRESH_MS;
  }

  /**
   * The mining domain an address was looked up as, from the last read; a miss may start a read in
   * the background (rate-limited) so a later question gets the answer.
   */
  lookup(address: string): { name: string; domain: string } | null {
    const hit = this.map.get(normalizeAddress(address));
    if (hit) return { name: hit.listedName, domain: hit.domain };
    this.maybeRefresh();
    return null;
  }

  status(): ResolverWatchStatus {
    return { ...this.state };
  }

  /** Starts a read unless one runs or the last was too recent (longer after a failure). */
  maybeRefresh(): void {
    if (this.inFlight) return;
    const now = this.now();
    const wait = this.state.ok === false ? FAILED_RETRY_MS : this.minRefreshMs;
    if (this.lastAttemptMs !== null && now - this.lastAttemptMs < wait) return;
    this.lastAttemptMs = now;
    this.inFlight = this.refresh().finally(() => {
      this.inFlight = null;
    });
  }

  /** Reads the cache now (also what maybeRefresh runs); never throws. */
  async refresh(): Promise<void> {
    try {
      if (!this.domains) this.domains = (await loadMiningDomains({ dataDir: this.opts.dataDir ?? null })).list;
      const read = await readResolverCache(this.readOptions());
      this.state.reads++;
      this.state.source = read.source;
      if (!read.ok) {
        this.state.ok = false;
        this.state.detail = read.reason;
        return;
      }
      this.map = miningAddresses(miningCacheHits(read.entries, this.domains));
      this.state.ok = true;
      this.state.lastReadMs = this.now();
      this.state.miningAddresses = this.map.size;
      this.state.detail = `${read.entries.length} cached records, ${this.map.size} addresses of mining domains`;
    } catch (e) {
      this.state.ok = false;
      this.state.detail = `could not be read: ${(e as Error).message.slice(0, 200)}`;
    }
  }

  /** Waits for a read in progress (tests, shutdown). */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  private readOptions(): ReadResolverOptions {
    return {
      platform: this.opts.platform,
      run: this.opts.run ?? runFile,
      ...(this.opts.resolvectl ? { resolvectl: this.opts.resolvectl } : {}),
      ...(this.opts.powershell ? { powershell: this.opts.powershell } : {}),
    };
  }
}

/** For `idlewatch probe`: one read of the cache, and whether it works. */
export async function probeResolverCache(platform: Platform, run: ToolRunner = runFile): Promise<Availability> {
  const read = await readResolverCache({ platform, run });
  if (!read.ok) return { ok: false, reason: `${read.source}: ${read.reason}` };
  return { ok: true, detail: `${read.source}: ${read.entries.length} cached records readable` };
}
