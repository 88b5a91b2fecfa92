import type { Availability, Collector, SourceStatus } from '../collector.js';
import type { GpuDeviceReading, GpuProcReading, GpuReading } from '../gpu.js';
import { type CpuReading, logicalCores } from '../cpu.js';
import { aggregateGpu } from './counter-parse.js';
import type { CounterStream } from './counter-stream.js';

const MIB = 1024 * 1024;

/**
 * A collector fed by the shared counter sampler: it holds the sampler while started (the sampler
 * runs while anyone holds it) and answers from its latest frame.
 */
abstract class StreamFedCollector<T> implements Collector<T> {
  abstract readonly id: string;
  abstract readonly label: string;
  private started = false;

  constructor(
    protected readonly stream: CounterStream,
    protected readonly supported: boolean,
    private readonly works: string,
    private readonly elsewhere: string,
  ) {}

  async available(): Promise<Availability> {
    return this.supported ? { ok: true, detail: this.works } : { ok: false, reason: this.elsewhere };
  }

  async start(): Promise<void> {
    if (this.started || !this.supported) return;
    this.started = true;
    this.stream.acquire();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.stream.release();
  }

  abstract sample(): Promise<T>;
  abstract status(): SourceStatus;

  /** Status from one counter set's health: unavailable while the sampler starts, degraded after. */
  protected statusOf(set: Parameters<CounterStream['health']>[0]): SourceStatus & { ok: boolean } {
    const h = this.stream.health(set);
    const base = { id: this.id, label: this.label };
    if (h.ok) return { ...base, health: 'ok', detail: h.detail, ok: true };
    return { ...base, health: h.starting ? 'unavailable' : 'degraded', detail: h.detail, ok: false };
  }
}

/** Whole-machine CPU from `\Processor(_Total)\% Processor Time` in the shared sampler. */
export class WindowsCpuCollector extends StreamFedCollector<CpuReading> {
  readonly id = 'cpu.windows';
  readonly label = 'System CPU (Windows performance counters)';

  constructor(stream: CounterStream, supported: boolean) {
    super(
      stream,
      supported,
      '\\Processor(_Total)\\% Processor Time through Get-Counter',
      'Windows performance counters exist only on Windows',
    );
  }

  async sample(): Promise<CpuReading> {
    const frame = this.stream.frame();
    return { cpu: frame?.cpuTotal ?? null, cores: logicalCores() };
  }

  status(): SourceStatus {
    const { ok: _ok, ...status } = this.statusOf('processor');
    return status;
  }
}

/**
 * Every GPU Windows schedules work on (NVIDIA, AMD, Intel, integrated or not), from the
 * `GPU Engine` and `GPU Process Memory` counters (Windows 10 1709 and later, WDDM 2.x drivers).
 * Per process and adapter: engines of one type summed, the busiest type reported (Task Manager's
 * rule), and dedicated memory. Adapters are known by LUID only: the counters carry no name or
 * vendor, so devices are `win:luid_…_phys_N`, vendor `other`. These are the same GPUs nvidia-smi
 * reports on an NVIDIA machine, seen from the OS scheduler, so both together count one NVIDIA
 * GPU twice.
 */
export class WindowsGpuCollector extends StreamFedCollector<GpuReading> {
  readonly id = 'gpu.windows';
  readonly label = 'GPUs (Windows GPU Engine counters)';

  constructor(stream: CounterStream, supported: boolean) {
    super(
      stream,
      supported,
      'GPU Engine and GPU Process Memory counters through Get-Counter (Windows 10 1709+)',
      'Windows GPU performance counters exist only on Windows',
    );
  }

  async sample(): Promise<GpuReading> {
    const frame = this.stream.frame();
    if (!frame?.has.gpuEngine) return { devices: [], procs: [] };
    const agg = aggregateGpu(frame);
    const devices: GpuDeviceReading[] = agg.devices.map((d) => ({
      id: `win:${d.device}`,
      vendor: 'other',
      name: `GPU adapter ${d.luid}${d.phys > 0 ? ` (node ${d.phys})` : ''}`,
      memoryMiB: null,
      util: d.util,
      memUsedMiB: d.dedicatedBytes === null ? null : Math.round(d.dedicatedBytes / MIB),
    }));
    const procs: GpuProcReading[] = agg.procs.map((p) => {
      const r: GpuProcReading = {
        pid: p.pid,
        gpuId: `win:${p.device}`,
        util: p.util,
        memMiB: p.dedicatedBytes === null ? null : Math.round((p.dedicatedBytes / MIB) * 10) / 10,
      };
      if (p.engType) r.kind = p.engType;
      return r;
    });
    return { devices, procs };
  }

  status(): SourceStatus {
    const { ok, ...engines } = this.statusOf('gpuEngine');
    if (!ok) return engines;
    const mem = this.stream.health('gpuMemory');
    return mem.ok
      ? engines
      : { ...engines, detail: `${engines.detail}; per-process GPU memory unavailable: ${mem.detail}` };
  }
}
