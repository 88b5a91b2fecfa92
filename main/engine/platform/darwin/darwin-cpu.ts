import { type CpuInfo, cpus } from 'node:os';
import type { Availability, Collector, SourceStatus } from '../collector.js';
import type { CpuReading } from '../cpu.js';

export interface DarwinCpuOptions {
  /** Per-core cumulative times; default os.cpus(). */
  cpuTimes?: () => CpuInfo[];
}

/**
 * Whole-machine CPU on macOS from the per-core tick counters the kernel keeps
 * (host_processor_info, which Node's os.cpus() calls in-process). Chosen over a child: `top -l`'s
 * "CPU usage: x% user, y% sys, z% idle" line would need a long-lived top (costlier than what it
 * measures), and `iostat` prints whole percents only. Busy = user + nice + sys + irq over the
 * total of busy + idle, from the deltas between two readings.
 */
export class DarwinCpuCollector implements Collector<CpuReading> {
  readonly id = 'cpu.darwin';
  readonly label = 'System CPU (host_processor_info)';
  private readonly cpuTimes: () => CpuInfo[];
  private last: { busy: number; total: number; cores: number } | null = null;
  private error: string | null = null;

  constructor(opts: DarwinCpuOptions = {}) {
    this.cpuTimes = opts.cpuTimes ?? cpus;
  }

  async available(): Promise<Availability> {
    const t = this.read();
    return t ? { ok: true, detail: `${t.cores} cores, read in-process` } : { ok: false, reason: this.error ?? '' };
  }
  async start(): Promise<void> {
    this.last = this.read();
  }
  async stop(): Promise<void> {
    this.last = null;
  }

  async sample(): Promise<CpuReading> {
    const now = this.read();
    const prev = this.last;
    this.last = now;
    if (!now) return { cpu: null, cores: prev?.cores ?? 1 };
    if (!prev || prev.cores !== now.cores) return { cpu: null, cores: now.cores };
    const dTotal = now.total - prev.total;
    const dBusy = now.busy - prev.busy;
    if (!(dTotal > 0) || dBusy < 0) return { cpu: null, cores: now.cores };
    const pct = Math.min(100, Math.max(0, (dBusy / dTotal) * 100));
    return { cpu: Math.round(pct * 10) / 10, cores: now.cores };
  }

  status(): SourceStatus {
    return this.error
      ? { id: this.id, label: this.label, health: 'degraded', detail: this.error }
      : { id: this.id, label: this.label, health: 'ok', detail: 'per-core tick counters (os.cpus), no child process' };
  }

  private read(): { busy: number; total: number; cores: number } | null {
    let list: CpuInfo[];
    try {
      list = this.cpuTimes();
    } catch (e) {
      this.error = `cannot read CPU times: ${(e as Error).message}`;
      return null;
    }
    if (list.length === 0) {
      this.error = 'the system reported no CPU times';
      return null;
    }
    let busy = 0;
    let total = 0;
    for (const c of list) {
      const b = c.times.user + c.times.nice + c.times.sys + c.times.irq;
      busy += b;
      total += b + c.times.idle;
    }
    this.error = null;
    return { busy, total, cores: list.length };
  }
}
