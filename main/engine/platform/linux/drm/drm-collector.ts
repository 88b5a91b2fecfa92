/**
 * Per-process GPU use on Linux for every GPU driven through DRM except NVIDIA's: amdgpu, i915, xe, and
 * the Arm/Broadcom/Qualcomm drivers that follow the same fdinfo convention. Each open DRM fd's
 * /proc/PID/fdinfo/N carries cumulative busy counters for its client; two readings give a rate.
 *
 * NVIDIA is skipped here, both its sysfs cards (vendor 0x10de) and fdinfo clients of nvidia-drm (recent
 * NVIDIA kernel modules print fdinfo too): the NVIDIA collector already reports those processes from the
 * driver's own accounting, and counting them twice would double their share.
 */
import type { Availability, Collector, SourceStatus } from '../../collector.js';
import type { GpuDeviceReading, GpuProcReading, GpuReading } from '../../gpu.js';
import { DrmFdScanner, type DrmScanTick } from './drm-fd-scan.js';
import { type DrmFs, nodeDrmFs } from './drm-fs.js';
import { type DrmCard, fallbackGpuName, isOurCard, listDrmCards, readCardLoad, vendorOf } from './drm-sysfs.js';
import { assignOwners, type ClientUse, clientRate, sumByProcess, type TimedFdinfo } from './drm-usage.js';
import { clientMemoryMiB, type DrmFdinfo } from './fdinfo-parse.js';

export interface DrmCollectorOptions {
  procRoot?: string;
  sysRoot?: string;
  /** How often every process's fd table is walked for new DRM fds (known ones are read every tick). */
  fullScanEveryMs?: number;
  /** Filesystem access; tests pass a wrapper that counts or fails reads. */
  fs?: DrmFs;
  /** Defaults to process.platform; lets tests see the non-Linux answer. */
  platform?: NodeJS.Platform;
}

const NO_GPU_REASON = 'no AMD/Intel DRM GPU found (/sys/class/drm has no such card)';

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Identity of a client across fds and processes. Client ids are unique per DRM device (global on
 * current kernels), so the device is part of the key; a client with no id cannot be matched to other
 * fds and stands alone.
 */
function clientKey(pid: number, fd: string, info: DrmFdinfo): string {
  if (info.clientId === null) return `fd:${pid}:${fd}`;
  return `${info.pdev ?? info.driver}#${info.clientId}`;
}

export class DrmCollector implements Collector<GpuReading> {
  readonly id = 'gpu.drm';
  readonly label = 'AMD/Intel GPUs (DRM fdinfo)';

  private readonly procRoot: string;
  private readonly sysRoot: string;
  private readonly fullScanEveryMs: number;
  private readonly fs: DrmFs;
  private readonly platform: NodeJS.Platform;
  private readonly scanner: DrmFdScanner;

  private cards: DrmCard[] = [];
  private cardsLoaded = false;
  private nvidiaAddresses = new Set<string>();
  /** Driver → our card, for clients without drm-pdev (platform GPUs): only when the driver has one card. */
  private cardByDriver = new Map<string, DrmCard>();
  /** Last reading per client, the baseline of the next rate. Rebuilt each tick from live clients only. */
  private prev = new Map<string, TimedFdinfo>();
  /** Client → owning pid (see assignOwners). Rebuilt each tick from live clients only. */
  private owners = new Map<string, number>();
  private availability: Availability | null = null;
  private lastError: string | null = null;
  private lastClients = 0;
  private lastProcs = 0;

  constructor(opts: DrmCollectorOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.sysRoot = opts.sysRoot ?? '/sys';
    this.fullScanEveryMs = opts.fullScanEveryMs ?? 10_000;
    this.fs = opts.fs ?? nodeDrmFs;
    this.platform = opts.platform ?? process.platform;
    this.scanner = new DrmFdScanner(this.fs, this.procRoot, this.fullScanEveryMs);
  }

  private walkedForProbe = false;

  async available(): Promise<Availability> {
    this.availability = this.probe();
    return this.availability;
  }

  private probe(): Availability {
    if (this.platform !== 'linux') return { ok: false, reason: 'DRM fdinfo is Linux-only' };
    this.refreshCards();
    const ours = this.cards.filter(isOurCard);
    if (ours.length > 0) {
      return { ok: true, detail: ours.map((c) => `${c.name} (${c.driver ?? 'unknown driver'})`).join(', ') };
    }
    // /sys may be hidden (a container) while /proc still shows GPU clients: one walk settles it.
    // Only on the first probe: the sampler re-probes every minute, and walking every process's
    // fds each time would cost more than the whole engine does otherwise.
    if (this.walkedForProbe) return { ok: false, reason: NO_GPU_REASON };
    this.walkedForProbe = true;
    try {
      const reads = new DrmFdScanner(this.fs, this.procRoot, this.fullScanEveryMs).tick(0).reads;
      if (reads.some((r) => !this.isNvidiaClient(r.info))) {
        return { ok: true, detail: 'processes hold DRM GPU fds (no GPU listed in /sys/class/drm)' };
      }
    } catch {
      // /proc unreadable: fall through to the no-GPU answer, which names what was looked for.
    }
    return { ok: false, reason: NO_GPU_REASON };
  }

  async start(): Promise<void> {
    if (this.platform === 'linux') this.refreshCards();
  }

  async stop(): Promise<void> {
    this.scanner.reset();
    this.prev = new Map();
    this.owners = new Map();
    this.cards = [];
    this.cardsLoaded = false;
    this.cardByDriver = new Map();
    this.nvidiaAddresses = new Set();
    this.lastError = null;
    this.lastClients = 0;
    this.lastProcs = 0;
  }

  async sample(nowMs: number): Promise<GpuReading> {
    if (this.platform !== 'linux') return { devices: [], procs: [] };
    let tick: DrmScanTick;
    try {
      tick = this.scanner.tick(nowMs);
    } catch (e) {
      this.lastError = `cannot list ${this.procRoot}: ${(e as Error).message}`;
      if (!this.cardsLoaded) this.refreshCards();
      return { devices: this.deviceReadings(new Map()), procs: [] };
    }
    this.lastError = null;
    // GPUs come and go rarely (eGPU, driver reload): re-list them at the slow cadence only.
    if (tick.fullScan || !this.cardsLoaded) this.refreshCards();

    // client key → pid → its reading through that pid's first fd of the client
    const holders = new Map<string, Map<number, DrmFdinfo>>();
    for (const { pid, fd, info } of tick.reads) {
      if (this.isNvidiaClient(info)) continue;
      const key = clientKey(pid, fd, info);
      let byPid = holders.get(key);
      if (!byPid) {
        byPid = new Map();
        holders.set(key, byPid);
      }
      if (!byPid.has(pid)) byPid.set(pid, info);
    }

    const pidsByClient = new Map<string, Iterable<number>>();
    for (const [key, byPid] of holders) pidsByClient.set(key, byPid.keys());
    const owners = assignOwners(pidsByClient, this.owners);

    const next = new Map<string, TimedFdinfo>();
    const uses: ClientUse[] = [];
    for (const [key, pid] of owners) {
      const info = holders.get(key)?.get(pid);
      if (!info) continue;
      const cur: TimedFdinfo = { atMs: nowMs, info };
      const rate = clientRate(this.prev.get(key), cur);
      // After a reset the new reading is the baseline, so only that one interval is lost.
      next.set(key, cur);
      uses.push({
        pid,
        deviceId: this.deviceIdOf(info),
        engines: rate.kind === 'ok' ? rate.engines : null,
        memMiB: clientMemoryMiB(info),
      });
    }
    this.prev = next;
    this.owners = owners;

    const procs: GpuProcReading[] = sumByProcess(uses).map((p) => ({
      pid: p.pid,
      gpuId: p.deviceId,
      util: p.util,
      memMiB: p.memMiB,
    }));
    this.lastClients = uses.length;
    this.lastProcs = new Set(procs.map((p) => p.pid)).size;
    return { devices: this.deviceReadings(next), procs };
  }

  status(): SourceStatus {
    const base = { id: this.id, label: this.label };
    if (this.platform !== 'linux') return { ...base, health: 'unavailable', detail: 'DRM fdinfo is Linux-only' };
    const seesGpu = this.cards.some(isOurCard) || this.lastClients > 0;
    if (this.availability && !this.availability.ok && !seesGpu) {
      return { ...base, health: 'unavailable', detail: this.availability.reason };
    }
    if (this.lastError) return { ...base, health: 'degraded', detail: this.lastError };
    const parts = [
      `${plural(this.lastClients, 'DRM client', 'DRM clients')} in ${plural(this.lastProcs, 'process', 'processes')}, read from ${this.procRoot}/PID/fdinfo`,
    ];
    const denied = this.scanner.deniedCount;
    if (denied > 0) {
      parts.push(
        `${denied} ${denied === 1 ? "process's" : "processes'"} GPU use could not be read (permission denied)`,
      );
    }
    return { ...base, health: 'ok', detail: parts.join('; ') };
  }

  private refreshCards(): void {
    this.cards = listDrmCards(this.fs, this.sysRoot);
    this.cardsLoaded = true;
    this.nvidiaAddresses = new Set(this.cards.filter((c) => c.nvidia && c.address).map((c) => c.address as string));
    const byDriver = new Map<string, DrmCard[]>();
    for (const card of this.cards) {
      if (!isOurCard(card) || !card.driver) continue;
      byDriver.set(card.driver, [...(byDriver.get(card.driver) ?? []), card]);
    }
    this.cardByDriver = new Map();
    for (const [driver, cards] of byDriver) {
      const only = cards[0];
      if (cards.length === 1 && only) this.cardByDriver.set(driver, only);
    }
  }

  private isNvidiaClient(info: DrmFdinfo): boolean {
    return info.driver.startsWith('nvidia') || (info.pdev !== null && this.nvidiaAddresses.has(info.pdev));
  }

  private deviceIdOf(info: DrmFdinfo): string {
    if (info.pdev) return `drm:${info.pdev}`;
    return this.cardByDriver.get(info.driver)?.id ?? `drm:${info.driver}`;
  }

  /**
   * Our sysfs cards with their device-wide figures, plus any device seen only through fdinfo (sysfs
   * hidden, or a platform GPU whose driver has several cards), so every process row names a device.
   */
  private deviceReadings(clients: ReadonlyMap<string, TimedFdinfo>): GpuDeviceReading[] {
    const devices: GpuDeviceReading[] = [];
    const listed = new Set<string>();
    for (const card of this.cards) {
      if (!isOurCard(card)) continue;
      const load = readCardLoad(this.fs, card);
      devices.push({
        id: card.id,
        vendor: card.vendor,
        name: card.name,
        memoryMiB: card.memoryMiB,
        util: load.util,
        memUsedMiB: load.memUsedMiB,
      });
      listed.add(card.id);
    }
    for (const { info } of clients.values()) {
      const id = this.deviceIdOf(info);
      if (listed.has(id)) continue;
      listed.add(id);
      const vendor = vendorOf(null, info.driver);
      devices.push({
        id,
        vendor,
        name: fallbackGpuName(vendor, info.driver, info.pdev),
        memoryMiB: null,
        util: null,
        memUsedMiB: null,
      });
    }
    return devices;
  }
}
