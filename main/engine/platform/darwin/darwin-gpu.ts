import type { Availability, Collector, SourceStatus } from '../collector.js';
import type { GpuDeviceReading, GpuProcReading, GpuReading } from '../gpu.js';
import { runFile } from '../../util/exec.js';
import { LongLivedChild } from '../../util/long-lived-child.js';
import { type AcceleratorReading, acceleratorsFromIoreg, IOREG_ACCELERATOR_ARGS } from './ioreg-gpu.js';
import { type PmSample, PowermetricsAssembler, powermetricsArgs, SUPERUSER_REFUSAL } from './powermetrics-parse.js';

export interface DarwinGpuOptions {
  /** Default /usr/sbin/ioreg. Fixed system paths, never a PATH lookup. */
  ioregPath?: string;
  /** Default /usr/bin/powermetrics. */
  powermetricsPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Whether we run as root (powermetrics refuses anyone else). Default: process.getuid() === 0. */
  isRoot?: boolean;
  /** How often ioreg is run for device use. Default 3000 ms. */
  deviceRefreshMs?: number;
  /** powermetrics sampling period. Default 1000 ms. */
  intervalMs?: number;
  /** Limit of one ioreg run. Default 5000 ms. */
  timeoutMs?: number;
  /** Restart backoff of powermetrics. Default 1 s doubling to 60 s. */
  restartBackoffMs?: { initial: number; max: number };
  now?: () => number;
}

export const NOT_ROOT_NOTE =
  'per-process GPU needs powermetrics, which needs administrator rights (run the CLI with sudo); device GPU use comes from ioreg';

interface Timed<T> {
  value: T;
  at: number;
}

/**
 * GPUs on macOS. Device use from `ioreg -r -d 1 -w 0 -c IOAccelerator` ("Device Utilization %" of
 * each accelerator's PerformanceStatistics), run every few seconds (default 3 s) because each read
 * is a process: a tick returns the last reading at once and starts the next read when it is due.
 *
 * Per-process GPU time exists only in `powermetrics` ("GPU ms/s" with --show-process-gpu), which
 * runs only as root. As root, one long-lived `powermetrics --samplers tasks,gpu_power
 * --show-process-gpu -i MS` stream feeds it (restarted with backoff, killed when silent); as
 * anyone else the source says so and gives device use only. powermetrics cannot tell which GPU
 * a task used: with one GPU (every Apple Silicon Mac) that is exact; with two (Intel Macs with a
 * discrete GPU) the time is put on the busier one.
 */
export class DarwinGpuCollector implements Collector<GpuReading> {
  readonly id = 'gpu.darwin';
  readonly label = 'GPUs (ioreg, powermetrics)';

  private readonly ioregPath: string;
  private readonly pmPath: string;
  private readonly isRoot: boolean;
  private readonly refreshMs: number;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly staleAfterMs: number;
  private readonly pmStaleAfterMs: number;
  private readonly now: () => number;

  private phase: 'idle' | 'running' | 'stopped' = 'idle';
  private generation = 0;
  private runningSince = 0;
  private devices: Timed<AcceleratorReading[]> | null = null;
  private deviceError: string | null = null;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | null = null;

  private pm: LongLivedChild | null = null;
  private pmAsm = new PowermetricsAssembler();
  private pmSample: Timed<PmSample> | null = null;
  private pmRefused: string | null = null;
  private pmQuietTimer: NodeJS.Timeout | undefined;
  /** Runs of ioreg made, for tests and the overhead readout. */
  readonly stats = { ioregRuns: 0 };

  constructor(private readonly opts: DarwinGpuOptions = {}) {
    this.ioregPath = opts.ioregPath ?? '/usr/sbin/ioreg';
    this.pmPath = opts.powermetricsPath ?? '/usr/bin/powermetrics';
    this.isRoot = opts.isRoot ?? process.getuid?.() === 0;
    this.refreshMs = Math.max(500, opts.deviceRefreshMs ?? 3000);
    this.intervalMs = Math.max(100, opts.intervalMs ?? 1000);
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.staleAfterMs = 3 * this.refreshMs + this.timeoutMs;
    this.pmStaleAfterMs = 3 * this.intervalMs + 1000;
    this.now = opts.now ?? Date.now;
  }

  async available(): Promise<Availability> {
    const r = await this.readIoreg();
    if ('error' in r) return { ok: false, reason: r.error };
    if (r.devices.length === 0) return { ok: false, reason: 'no GPU found (ioreg lists no IOAccelerator)' };
    const names = r.devices.map((d) => d.name).join(', ');
    return { ok: true, detail: `${names}${this.isRoot ? '' : `; ${NOT_ROOT_NOTE}`}` };
  }

  async start(): Promise<void> {
    if (this.phase === 'running') return;
    this.phase = 'running';
    this.runningSince = this.now();
    const generation = this.generation;
    await this.refresh(generation);
    if (generation !== this.generation || !this.isRoot) return;
    this.pmAsm = new PowermetricsAssembler();
    this.pmRefused = null;
    this.pm = new LongLivedChild({
      file: this.pmPath,
      label: 'powermetrics',
      args: () => powermetricsArgs(this.intervalMs),
      ...(this.opts.env ? { env: this.opts.env } : {}),
      initialBackoffMs: this.opts.restartBackoffMs?.initial ?? 1000,
      maxBackoffMs: this.opts.restartBackoffMs?.max ?? 60_000,
      silenceTimeoutMs: 2 * this.pmStaleAfterMs + 2000,
      now: this.now,
      onLine: (line) => this.onPmLine(line),
      onExit: (exit) => {
        this.pmAsm.flush();
        const said = [...exit.stderrHead, ...exit.stdoutTail].find((l) => SUPERUSER_REFUSAL.test(l));
        if (said) {
          // Not root after all (a sandbox, a dropped privilege): retrying cannot help.
          this.pmRefused = said.trim();
          void this.pm?.stop();
        }
      },
    });
    this.pm.start();
  }

  async stop(): Promise<void> {
    this.generation++;
    this.phase = 'stopped';
    if (this.pmQuietTimer) clearTimeout(this.pmQuietTimer);
    this.pmQuietTimer = undefined;
    const pm = this.pm;
    this.pm = null;
    await pm?.stop();
    this.devices = null;
    this.pmSample = null;
    this.lastRefreshAt = Number.NEGATIVE_INFINITY;
  }

  /** Returns at once; starts an ioreg read when one is due. */
  async sample(_nowMs: number): Promise<GpuReading> {
    if (this.phase !== 'running') return { devices: [], procs: [] };
    const now = this.now();
    if (!this.refreshing && now - this.lastRefreshAt >= this.refreshMs) void this.refresh(this.generation);
    return this.snapshot(now);
  }

  /** Waits for an ioreg read in flight (tests, and a caller that wants the newest reading). */
  async settle(): Promise<void> {
    await this.refreshing;
  }

  status(): SourceStatus {
    const base = { id: this.id, label: this.label };
    if (this.phase === 'idle') return { ...base, health: 'unavailable', detail: 'not started' };
    if (this.phase === 'stopped') return { ...base, health: 'unavailable', detail: 'stopped' };
    const now = this.now();
    const problems: string[] = [];
    const notes: string[] = [];
    const devicesFresh = this.devices !== null && now - this.devices.at <= this.staleAfterMs;
    if (this.deviceError && !devicesFresh) problems.push(`device GPU use unavailable: ${this.deviceError}`);
    else if (this.devices && this.devices.value.length === 0)
      problems.push('no GPU found (ioreg lists no IOAccelerator)');
    if (!this.isRoot) notes.push(NOT_ROOT_NOTE);
    else if (this.pmRefused) notes.push(`per-process GPU unavailable: ${this.pmRefused}`);
    else {
      const at = this.pmSample?.at ?? null;
      const stale = at === null ? now - this.runningSince > this.pmStaleAfterMs + 2000 : now - at > this.pmStaleAfterMs;
      if (stale) problems.push(`per-process GPU: ${this.pmProblem(at)}`);
      else if (this.pmSample && !this.pmSample.value.hasGpuColumn) {
        notes.push('powermetrics reports no per-process GPU time on this Mac (no "GPU ms/s" column)');
      } else if (this.pmSample) notes.push('per-process GPU from powermetrics');
    }
    if (problems.length > 0) return { ...base, health: 'degraded', detail: [...problems, ...notes].join('; ') };
    const list = this.devices?.value ?? [];
    const summary = `${list.length} GPU${list.length === 1 ? '' : 's'}: ${list.map((d) => d.name).join(', ')} (ioreg every ${this.refreshMs / 1000} s)`;
    return { ...base, health: 'ok', detail: [summary, ...notes].join('; ') };
  }

  // ---- ioreg ------------------------------------------------------------------------------

  private async readIoreg(): Promise<{ devices: AcceleratorReading[] } | { error: string }> {
    this.stats.ioregRuns++;
    const r = await runFile(this.ioregPath, IOREG_ACCELERATOR_ARGS, {
      timeoutMs: this.timeoutMs,
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
    if (!r.ok) return { error: r.error ?? 'ioreg failed' };
    const devices = acceleratorsFromIoreg(r.stdout);
    if (devices.length === 0 && r.stdout.trim() !== '' && !/\+-o /.test(r.stdout)) {
      return { error: `ioreg printed an unexpected format: "${r.stdout.trim().split('\n')[0]?.slice(0, 200)}"` };
    }
    return { devices };
  }

  private refresh(generation: number): Promise<void> {
    this.lastRefreshAt = this.now();
    const job = this.readIoreg()
      .then((r) => {
        if (generation !== this.generation) return;
        if ('error' in r) {
          this.deviceError = r.error;
          return;
        }
        this.deviceError = null;
        this.devices = { value: r.devices, at: this.now() };
      })
      .finally(() => {
        if (this.refreshing === job) this.refreshing = null;
      });
    this.refreshing = job;
    return job;
  }

  // ---- powermetrics ------------------------------------------------------------------------

  private onPmLine(line: string): void {
    const done = this.pmAsm.push(line);
    if (done) this.acceptPm(done);
    if (this.pmQuietTimer) clearTimeout(this.pmQuietTimer);
    this.pmQuietTimer = undefined;
    if (this.pmAsm.hasPending) {
      // A block is printed in one burst; a pause means it is complete.
      this.pmQuietTimer = setTimeout(
        () => {
          this.pmQuietTimer = undefined;
          const s = this.pmAsm.flush();
          if (s) this.acceptPm(s);
        },
        Math.min(250, this.intervalMs / 4),
      );
      this.pmQuietTimer.unref();
    }
  }

  private acceptPm(s: PmSample): void {
    // A block with neither a tasks table nor GPU lines is noise (a preamble, a cut block).
    if (s.tasks === null && s.gpu === null) return;
    this.pmSample = { value: s, at: this.now() };
    this.pmAsm.lastStray = null;
  }

  private pmProblem(lastAt: number | null): string {
    const st = this.pm?.state();
    const failure = this.pm?.lastFailure();
    const stray = this.pmAsm.lastStray;
    const when = lastAt === null ? 'no sample yet' : `no sample for ${Math.round((this.now() - lastAt) / 1000)} s`;
    if (st?.state === 'restarting') return `${when}; ${st.lastError} (restarting)`;
    // What the running child prints now says more than how an earlier run ended.
    if (stray) return `${when}; powermetrics printed "${stray}"`;
    if (failure && (lastAt === null || failure.atMs > lastAt)) return `${when}; ${failure.error}`;
    return when;
  }

  private snapshot(now: number): GpuReading {
    const fresh = this.devices !== null && now - this.devices.at <= this.staleAfterMs;
    const pm = this.pmSample && now - this.pmSample.at <= this.pmStaleAfterMs ? this.pmSample.value : null;
    const list = this.devices?.value ?? [];
    const devices: GpuDeviceReading[] = list.map((d) => ({
      id: d.id,
      vendor: d.vendor,
      name: d.name,
      memoryMiB: d.memoryMiB,
      util: fresh ? d.util : null,
      memUsedMiB: fresh ? d.memUsedMiB : null,
    }));
    // Where ioreg gives no utilisation, powermetrics' active residency of the one GPU stands in.
    const only = devices.length === 1 ? devices[0] : undefined;
    const active = pm?.gpu?.activePercent ?? (pm?.gpu?.idlePercent != null ? 100 - pm.gpu.idlePercent : null);
    if (only && only.util === null && active !== null && active !== undefined) only.util = clampPct(active);

    const procs: GpuProcReading[] = [];
    if (pm?.tasks && pm.hasGpuColumn && devices.length > 0) {
      const target = devices.reduce((a, b) => ((b.util ?? -1) > (a.util ?? -1) ? b : a));
      for (const t of pm.tasks) {
        if (t.gpuMsPerS === null || t.gpuMsPerS <= 0) continue;
        procs.push({
          pid: t.pid,
          gpuId: target.id,
          util: clampPct(t.gpuMsPerS / 10),
          memMiB: null,
          name: t.name,
        });
      }
    }
    return { devices, procs };
  }
}

function clampPct(v: number): number {
  return Math.min(100, Math.max(0, Math.round(v * 10) / 10));
}
