import { join } from 'node:path';
import si from 'systeminformation';
import type { Availability, SourceStatus } from './collector.js';
import type { ProcReading, ProcsCollector, ProcsReading } from './procs.js';
import { logicalCores } from './cpu.js';

/**
 * Windows and macOS processes through `systeminformation` (a PowerShell CIM query on Windows,
 * `ps` on macOS). Far more expensive per tick than /proc, and untested here (no such machine in
 * this workplace); a later issue replaces it with native, long-lived readers.
 */
export class SiProcsCollector implements ProcsCollector {
  readonly id = 'procs.systeminformation';
  readonly label = 'Processes (systeminformation)';
  private error: string | null = null;

  async available(): Promise<Availability> {
    return { ok: true, detail: 'systeminformation.processes() (costly; untested on this platform)' };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async sample(): Promise<ProcsReading> {
    try {
      const data = await si.processes();
      this.error = null;
      // Windows reports a process's share of the whole machine; macOS `ps` a share of one core.
      const scale = process.platform === 'win32' ? logicalCores() : 1;
      const procs: ProcReading[] = data.list.map((p) => ({
        pid: p.pid,
        ppid: p.parentPid,
        name: p.name,
        exe: p.path ? (p.path.endsWith(p.name) ? p.path : join(p.path, p.name)) : null,
        cmdline: [p.command, p.params].filter(Boolean).join(' '),
        user: p.user || null,
        startTimeMs: Date.parse(p.started) || 0,
        cpu: Math.round((p.cpu ?? 0) * scale * 10) / 10,
        rssKiB: p.memRss ?? null,
      }));
      return { procs, unreadable: 0, full: true };
    } catch (e) {
      this.error = `systeminformation.processes() failed: ${(e as Error).message}`;
      return { procs: [], unreadable: 0, full: true };
    }
  }

  status(): SourceStatus {
    return this.error
      ? { id: this.id, label: this.label, health: 'degraded', detail: this.error }
      : { id: this.id, label: this.label, health: 'ok', detail: 'systeminformation.processes() (untested here)' };
  }
}
