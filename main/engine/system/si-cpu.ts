import si from 'systeminformation';
import type { Availability, Collector, SourceStatus } from '../collector.js';
import { logicalCores } from '../procs/linux-procs.js';
import type { CpuReading } from './linux-cpu.js';

/** Whole-machine CPU on Windows/macOS through systeminformation.currentLoad() (untested here). */
export class SiCpuCollector implements Collector<CpuReading> {
  readonly id = 'cpu.systeminformation';
  readonly label = 'System CPU (systeminformation)';
  private error: string | null = null;

  async available(): Promise<Availability> {
    return { ok: true, detail: 'systeminformation.currentLoad()' };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async sample(): Promise<CpuReading> {
    try {
      const load = await si.currentLoad();
      this.error = null;
      return { cpu: Math.round(load.currentLoad * 10) / 10, cores: logicalCores() };
    } catch (e) {
      this.error = `systeminformation.currentLoad() failed: ${(e as Error).message}`;
      return { cpu: null, cores: logicalCores() };
    }
  }

  status(): SourceStatus {
    return this.error
      ? { id: this.id, label: this.label, health: 'degraded', detail: this.error }
      : { id: this.id, label: this.label, health: 'ok', detail: 'systeminformation.currentLoad() (untested here)' };
  }
}
