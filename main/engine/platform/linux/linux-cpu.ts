import type { Availability, Collector, SourceStatus } from '../collector.js';
import type { CpuReading } from '../cpu.js';
import { ProcFileReader } from './proc-file.js';

/** Whole-machine CPU from the aggregate line of /proc/stat (busy jiffies over total jiffies). */
export class LinuxCpuCollector implements Collector<CpuReading> {
  readonly id = 'cpu.linux';
  readonly label = 'System CPU (/proc/stat)';
  private readonly reader = new ProcFileReader(8192);
  private last: { busy: number; total: number } | null = null;
  private cores = 1;
  private error: string | null = null;

  constructor(private readonly procRoot = '/proc') {}

  async available(): Promise<Availability> {
    try {
      return parseStatTotals(this.reader.read(`${this.procRoot}/stat`))
        ? { ok: true, detail: 'reading /proc/stat' }
        : { ok: false, reason: `${this.procRoot}/stat has no cpu line` };
    } catch (e) {
      return { ok: false, reason: `cannot read ${this.procRoot}/stat: ${(e as Error).message}` };
    }
  }

  async start(): Promise<void> {
    this.read();
  }

  async stop(): Promise<void> {
    this.last = null;
  }

  async sample(): Promise<CpuReading> {
    const prev = this.last;
    const cur = this.read();
    if (!prev || !cur || cur.total <= prev.total) return { cpu: null, cores: this.cores };
    const pct = ((cur.busy - prev.busy) / (cur.total - prev.total)) * 100;
    return { cpu: Math.round(Math.min(100, Math.max(0, pct)) * 10) / 10, cores: this.cores };
  }

  status(): SourceStatus {
    return this.error
      ? { id: this.id, label: this.label, health: 'degraded', detail: this.error }
      : { id: this.id, label: this.label, health: 'ok', detail: 'reading /proc/stat' };
  }

  private read(): { busy: number; total: number } | null {
    try {
      const parsed = parseStatTotals(this.reader.read(`${this.procRoot}/stat`));
      if (!parsed) throw new Error('no aggregate cpu line');
      this.cores = parsed.cores;
      this.last = parsed;
      this.error = null;
      return parsed;
    } catch (e) {
      this.error = `cannot read ${this.procRoot}/stat: ${(e as Error).message}`;
      return null;
    }
  }
}

/** Aggregate busy/total jiffies and the number of per-cpu lines. iowait counts as idle. */
export function parseStatTotals(text: string): { busy: number; total: number; cores: number } | null {
  if (!text.startsWith('cpu ')) return null;
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
  const v = [0, 0, 0, 0, 0, 0, 0, 0];
  let field = -1;
  let n = 0;
  let inNumber = false;
  for (let i = 3; i <= first.length && field < 8; i++) {
    const c = i < first.length ? first.charCodeAt(i) : 32;
    if (c >= 48 && c <= 57) {
      if (!inNumber) {
        inNumber = true;
        field++;
        n = 0;
      }
      n = n * 10 + (c - 48);
    } else {
      if (inNumber && field < 8) v[field] = n;
      inNumber = false;
      if (c !== 32 && c !== 9 && c !== 13) break;
    }
  }
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const idleAll = idle + iowait;
  const busy = user + nice + system + irq + softirq + steal;
  // Per-cpu lines follow the aggregate one: "cpu0 ", "cpu1 ", … (read per tick: no regex).
  let cores = 0;
  for (let at = text.indexOf('\ncpu'); at >= 0; at = text.indexOf('\ncpu', at + 4)) {
    const c = text.charCodeAt(at + 4);
    if (c >= 48 && c <= 57) cores++;
  }
  return { busy, total: busy + idleAll, cores: cores || 1 };
}
