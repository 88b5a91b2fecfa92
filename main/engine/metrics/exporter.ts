import { Counter, Gauge, Registry } from 'prom-client';
import type { Severity } from '../../../shared/detection.js';
import type { IncidentView, ScanState } from '../../../shared/ipc.js';
import type { UserState } from '../../../shared/trace.js';
import { DELETED_SUFFIX } from '../allowlist/exe-path.js';
import type { EngineService } from '../service/engine-service.js';
import { labelText } from './labels.js';
import { DEFAULT_TOP_PROCESSES, selectProcesses, toSeries } from './process-series.js';

export interface MetricsOptions {
  /** Per-process series for this many of the busiest processes (plus those with an open incident). */
  topProcesses?: number;
  /** Idlewatch's version, for idlewatch_build_info. */
  version?: string;
}

const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];
const USER_STATES: readonly UserState[] = ['active', 'idle', 'locked', 'unknown'];
/** Executables larger than this are not hashed for the exe_hash label (it stays empty). */
const MAX_HASHED_BYTES = 512 * 1024 * 1024;

/** Only what the exporter reads of a sample (the window's stream may send a summary of it). */
interface SampleHead {
  at: number;
  user: { state: UserState };
  system: { cpu: number | null; cores: number };
  gpus: { util: number | null }[];
}

/**
 * The engine's state as Prometheus metrics (docs/fleet.md lists them). Almost everything is read
 * when a scrape asks (prom-client's collect callbacks), so the exporter costs nothing between
 * scrapes but one addition per sample for the while-away counters and one per incident change.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly offs: (() => void)[] = [];
  private readonly hasher = new ExeHasher(() => this.service.current.allowlist.hashCache);
  /** (incident key, rule, severity) already counted in idlewatch_incidents_total. */
  private readonly counted = new Set<string>();
  /** Incident keys and the worst severity already counted in idlewatch_incidents_raised_total. */
  private readonly raised = new Map<string, Severity>();
  private lastSampleAt: number | null = null;
  private lastScanAt: number | null = null;

  constructor(
    private readonly service: EngineService,
    opts: MetricsOptions = {},
  ) {
    const topN = opts.topProcesses ?? DEFAULT_TOP_PROCESSES;
    const r = [this.registry];
    const self = this;
    const latest = () => this.service.current.latest;

    new Gauge({
      name: 'idlewatch_build_info',
      help: 'Always 1; the version of Idlewatch as a label.',
      labelNames: ['version'],
      registers: r,
      collect() {
        this.set({ version: opts.version ?? 'unknown' }, 1);
      },
    });
    new Gauge({
      name: 'idlewatch_user_idle_seconds',
      help: 'Seconds since the last keyboard or mouse input; absent when no idle source works.',
      registers: r,
      collect() {
        this.reset();
        const idle = latest()?.user.idleSec;
        if (typeof idle === 'number') this.set(idle);
      },
    });
    new Gauge({
      name: 'idlewatch_user_state',
      help: 'The user state: 1 for the current one of active, idle (away), locked, unknown (no idle source works).',
      labelNames: ['state'],
      registers: r,
      collect() {
        const now = latest()?.user.state ?? 'unknown';
        for (const s of USER_STATES) this.set({ state: s }, s === now ? 1 : 0);
      },
    });
    new Gauge({
      name: 'idlewatch_source_up',
      help: 'Whether each data source works: 1 ok, 0 degraded (it worked and failed) or unavailable.',
      labelNames: ['source'],
      registers: r,
      collect() {
        this.reset();
        for (const s of self.service.current.sources())
          this.set({ source: labelText(s.id) }, s.health === 'ok' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'idlewatch_source_available',
      help: 'Whether each data source exists on this machine: 0 when it is unavailable here (no such GPU, no desktop session), so that idlewatch_source_up == 0 means down only where this is 1.',
      labelNames: ['source'],
      registers: r,
      collect() {
        this.reset();
        for (const s of self.service.current.sources())
          this.set({ source: labelText(s.id) }, s.health === 'unavailable' ? 0 : 1);
      },
    });
    new Gauge({
      name: 'idlewatch_system_cpu_utilization_ratio',
      help: 'Whole-machine CPU use over the last sample, 0 to 1 of all cores.',
      registers: r,
      collect() {
        this.reset();
        const cpu = latest()?.system.cpu;
        if (typeof cpu === 'number') this.set(cpu / 100);
      },
    });
    new Gauge({
      name: 'idlewatch_system_cpu_cores',
      help: 'Logical CPU cores of this machine.',
      registers: r,
      collect() {
        this.reset();
        const cores = latest()?.system.cores;
        if (typeof cores === 'number') this.set(cores);
      },
    });
    new Gauge({
      name: 'idlewatch_gpu_utilization_ratio',
      help: 'Each GPU’s use over the last sample, 0 to 1.',
      labelNames: ['gpu', 'vendor', 'model'],
      registers: r,
      collect() {
        this.reset();
        for (const g of latest()?.gpus ?? []) {
          if (g.util !== null)
            this.set({ gpu: labelText(g.id), vendor: g.vendor, model: labelText(g.name) }, g.util / 100);
        }
      },
    });
    new Gauge({
      name: 'idlewatch_gpu_memory_used_bytes',
      help: 'Each GPU’s memory in use.',
      labelNames: ['gpu'],
      registers: r,
      collect() {
        this.reset();
        for (const g of latest()?.gpus ?? []) {
          if (g.memUsedMiB !== null) this.set({ gpu: labelText(g.id) }, g.memUsedMiB * 1024 * 1024);
        }
      },
    });
    const gpuAway = new Counter({
      name: 'idlewatch_gpu_busy_while_away_seconds_total',
      help: 'GPU-seconds of use while the user was away (idle or locked), summed over the GPUs: a GPU at 50% for 10 s adds 5.',
      registers: r,
    });
    const cpuAway = new Counter({
      name: 'idlewatch_cpu_busy_while_away_seconds_total',
      help: 'Core-seconds of whole-machine CPU use while the user was away (idle or locked).',
      registers: r,
    });
    new Gauge({
      name: 'idlewatch_incidents_open',
      help: 'Incidents of this run whose process still runs, neither reviewed nor allowlisted, by severity.',
      labelNames: ['severity'],
      registers: r,
      async collect() {
        const open = await self.openIncidents();
        for (const s of SEVERITIES) this.set({ severity: s }, open.filter((i) => i.severity === s).length);
      },
    });
    const incidentsTotal = new Counter({
      name: 'idlewatch_incidents_total',
      help: 'Incidents by rule and severity: counted once for each rule among its reasons when it reaches a severity (an incident with three rules counts under each).',
      labelNames: ['rule', 'severity'],
      registers: r,
    });
    const raisedTotal = new Counter({
      name: 'idlewatch_incidents_raised_total',
      help: 'Incidents by the severity they reached, each counted once per severity.',
      labelNames: ['severity'],
      registers: r,
    });
    const notifications = new Counter({
      name: 'idlewatch_notifications_sent_total',
      help: 'Notifications the engine sent (on the daemon: logged), by severity.',
      labelNames: ['severity'],
      registers: r,
    });
    new Counter({
      name: 'idlewatch_engine_cpu_seconds_total',
      help: 'CPU time Idlewatch’s engine process used, user and system.',
      registers: r,
      collect() {
        const u = process.cpuUsage();
        this.reset();
        this.inc((u.user + u.system) / 1e6);
      },
    });
    new Gauge({
      name: 'idlewatch_engine_resident_memory_bytes',
      help: 'Resident memory of Idlewatch’s engine process.',
      registers: r,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    const startedAt = Date.now() / 1000 - process.uptime();
    new Gauge({
      name: 'idlewatch_engine_start_time_seconds',
      help: 'When the engine process started, Unix time.',
      registers: r,
      collect() {
        this.set(startedAt);
      },
    });
    new Gauge({
      name: 'idlewatch_engine_sample_duration_seconds',
      help: 'How long the engine took to produce its last sample.',
      registers: r,
      collect() {
        this.reset();
        const ms = latest()?.tickMs;
        if (typeof ms === 'number') this.set(ms / 1000);
      },
    });
    const scanRuns = new Counter({
      name: 'idlewatch_scan_runs_total',
      help: 'Deep scans by how they ended: finished, cancelled or failed.',
      labelNames: ['result'],
      registers: r,
    });
    const scanFindings = new Gauge({
      name: 'idlewatch_scan_findings',
      help: 'Findings of the last finished deep scan, by severity.',
      labelNames: ['severity'],
      registers: r,
    });
    const scanAt = new Gauge({
      name: 'idlewatch_scan_last_finished_timestamp_seconds',
      help: 'When the last deep scan ended, Unix time.',
      registers: r,
    });
    for (const s of ['finished', 'cancelled', 'failed']) scanRuns.inc({ result: s }, 0);
    for (const s of SEVERITIES) {
      raisedTotal.inc({ severity: s }, 0);
      notifications.inc({ severity: s }, 0);
    }

    const byProcess = (name: string, help: string, pick: 'cpu' | 'gpu') =>
      new Gauge({
        name,
        help,
        labelNames: ['name', 'exe_hash'],
        registers: r,
        async collect() {
          this.reset();
          for (const s of await self.processSeries(topN)) {
            const v = s[pick];
            if (v !== null) this.set({ name: s.name, exe_hash: s.exeHash }, v);
          }
        },
      });
    byProcess(
      'idlewatch_process_cpu_ratio',
      `CPU use of the ${topN} busiest programs and those with an open incident, in cores (1 = one full core); by name and the first 12 hex digits of the executable's SHA-256 (empty until hashed).`,
      'cpu',
    );
    byProcess('idlewatch_process_gpu_ratio', 'GPU use of the same programs, 0 to 1 of their busiest GPU.', 'gpu');
    new Gauge({
      name: 'idlewatch_process_incident_open',
      help: 'Programs with an open incident: 1, labelled with the worst severity.',
      labelNames: ['name', 'exe_hash', 'severity'],
      registers: r,
      async collect() {
        this.reset();
        for (const s of await self.processSeries(topN)) {
          if (s.incident) this.set({ name: s.name, exe_hash: s.exeHash, severity: s.incident }, 1);
        }
      },
    });

    this.offs.push(
      service.onEvent((channel, payload) => {
        if (channel === 'engine:sample') {
          const sample = (payload as { sample: SampleHead }).sample;
          const dt = this.lastSampleAt === null ? 0 : (sample.at - this.lastSampleAt) / 1000;
          this.lastSampleAt = sample.at;
          // Gaps (sleep, pause) are not counted as time spent away.
          if (dt <= 0 || dt > 10 || (sample.user.state !== 'idle' && sample.user.state !== 'locked')) return;
          let gpu = 0;
          for (const g of sample.gpus) gpu += (g.util ?? 0) / 100;
          if (gpu > 0) gpuAway.inc(gpu * dt);
          if (sample.system.cpu !== null && sample.system.cpu > 0)
            cpuAway.inc((sample.system.cpu / 100) * sample.system.cores * dt);
        } else if (channel === 'incident:changed') {
          const { incident } = payload as { incident: IncidentView };
          if (incident.allowlisted) return; // silenced: recorded, never alerted
          for (const reason of incident.reasons) {
            const k = `${incident.key}|${reason.rule}|${incident.severity}`;
            if (this.counted.has(k)) continue;
            this.counted.add(k);
            incidentsTotal.inc({ rule: reason.rule, severity: incident.severity });
          }
          const before = this.raised.get(incident.key);
          if (before !== incident.severity) {
            this.raised.set(incident.key, incident.severity);
            raisedTotal.inc({ severity: incident.severity });
          }
        } else if (channel === 'scan:state') {
          const s = payload as ScanState;
          if (s.running || s.finishedAt === null || s.finishedAt === this.lastScanAt) return;
          this.lastScanAt = s.finishedAt;
          scanRuns.inc({ result: s.error === null ? 'finished' : s.error === 'cancelled' ? 'cancelled' : 'failed' });
          scanAt.set(s.finishedAt / 1000);
          if (s.report && s.error === null)
            for (const sev of SEVERITIES) scanFindings.set({ severity: sev }, s.report.summary[sev]);
        }
      }),
      service.onNotify((n) => notifications.inc({ severity: n.severity })),
    );
  }

  /** Executables hashed for exe_hash so far, and how many wait (the bench waits for none). */
  get hashing(): { files: number; bytes: number; pending: number } {
    return { ...this.hasher.done, pending: this.hasher.pending };
  }

  /** The exposition text of every metric (what GET /metrics returns). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /** One scrape asks for the open incidents twice: read once per sample. */
  private openCache: { at: number; value: Promise<IncidentView[]> } | null = null;

  /** Open as the fleet sees it: the process still runs, nobody reviewed or allowlisted it. */
  private openIncidents(): Promise<IncidentView[]> {
    const at = this.service.current.latest?.at ?? 0;
    if (this.openCache?.at === at) return this.openCache.value;
    const value = Promise.resolve(
      this.service.handlers['incidents:list']({ includeReviewed: false, includeAllowlisted: false }),
    ).then((all) => all.filter((i) => i.live && i.running && !i.reviewed && !i.allowlisted));
    this.openCache = { at, value };
    return value;
  }

  /** One scrape asks for the process series three times: computed once per sample. */
  private seriesCache: { at: number; value: Promise<ReturnType<typeof toSeries>> } | null = null;

  private processSeries(topN: number): Promise<ReturnType<typeof toSeries>> {
    const sample = this.service.current.latest;
    if (!sample) return Promise.resolve([]);
    if (this.seriesCache?.at === sample.at) return this.seriesCache.value;
    const value = this.openIncidents().then((open) => {
      const bySev = new Map<string, Severity>();
      for (const i of open) bySev.set(i.key, i.severity);
      const chosen = selectProcesses(sample.procs, bySev, topN);
      return toSeries(chosen, bySev, (exe) => this.hasher.lookup(exe));
    });
    this.seriesCache = { at: sample.at, value };
    return value;
  }
}

/**
 * The exe_hash label's SHA-256, from the allowlist's hash cache. A scrape never waits for a hash:
 * an executable not hashed yet is queued and hashed in the background, one at a time, and labelled
 * '' until then. Files that cannot be read, deleted ones and huge ones keep ''.
 */
class ExeHasher {
  private readonly queue: string[] = [];
  private readonly skip = new Set<string>();
  private busy = false;
  /** Files hashed for the label and their bytes (the one-time cost, reported by the bench). */
  readonly done = { files: 0, bytes: 0 };

  constructor(private readonly cache: () => import('../allowlist/file-hash.js').HashCache) {}

  /** Files waiting to be hashed, counting the one being hashed. */
  get pending(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  lookup(exe: string | null): string | null {
    if (exe === null || exe.endsWith(DELETED_SUFFIX) || this.skip.has(exe)) return null;
    const known = this.cache().peek(exe);
    if (known !== null) return known;
    if (!this.queue.includes(exe) && this.queue.length < 64) this.queue.push(exe);
    void this.drain();
    return null;
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { stat } = await import('node:fs/promises');
      for (let exe = this.queue.shift(); exe !== undefined; exe = this.queue.shift()) {
        const size = await stat(exe).then(
          (s) => (s.isFile() ? s.size : -1),
          () => -1,
        );
        if (size < 0 || size > MAX_HASHED_BYTES) {
          if (this.skip.size < 4096) this.skip.add(exe);
          continue;
        }
        if ((await this.cache().hashOf(exe)) === null) {
          if (this.skip.size < 4096) this.skip.add(exe);
        } else {
          this.done.files++;
          this.done.bytes += size;
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
