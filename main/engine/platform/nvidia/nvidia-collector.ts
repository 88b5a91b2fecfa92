import type { Availability, Collector, SourceStatus } from '../collector.js';
import { findOnPath, runFile } from '../../util/exec.js';
import { LongLivedChild } from '../../util/long-lived-child.js';
import type { GpuDeviceReading, GpuProcReading, GpuReading } from '../gpu.js';
import {
  parseComputeApps,
  parseQueryGpuLine,
  QUERY_COMPUTE_APPS_FIELDS,
  QUERY_GPU_FIELD_SETS,
  type SmiGpuRow,
} from './csv-parse.js';
import { type PmonFrame, PmonFrameAssembler, parsePmonLine } from './pmon-parse.js';
import {
  describeSmiExit,
  type ProbeOutcome,
  probeNvidiaSmi,
  queryGpuArgs,
  SMI_NOT_FOUND,
  smiGarbageReason,
} from './smi-probe.js';
import { parseNvidiaSmiXml } from './xml-parse.js';

export interface NvidiaCollectorOptions {
  /** Full path of nvidia-smi; by default it is looked up on PATH at available()/start() time. */
  smiPath?: string;
  /** Sampling period in ms (the device loop's `-lms`; pmon gets it rounded to whole seconds). Default 1000. */
  intervalMs?: number;
  /** Environment used for the PATH lookup and given to every nvidia-smi run. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Time limit of one-shot runs (the probe, process-memory queries). Default 3000. */
  probeTimeoutMs?: number;
  /** Data older than this is not returned and makes the source degraded. Default 3 periods + 1 s. */
  staleAfterMs?: number;
  /** Restart backoff of the long-lived children and of a failed probe. Default 1 s doubling to 60 s. */
  restartBackoffMs?: { initial: number; max: number };
  /** Refresh period of per-process memory when pmon does not carry it. Default 10 000. */
  procMemoryRefreshMs?: number;
  now?: () => number;
}

type Phase = 'idle' | 'probing' | 'waiting' | 'running' | 'stopped';

/** pmon's `-s` selections, richest first: `m` adds the fb (process memory) column. */
const PMON_SELECTS = ['um', 'u'] as const;
/** How long a successful available() result is reused by start() instead of probing again. */
const PROBE_REUSE_MS = 10_000;
/** Longest stop() waits for a one-shot query already running. */
const STOP_POLL_WAIT_MS = 1000;
const PMON_UNSUPPORTED = /not supported/i;
const PMON_ARGS_REJECTED = /command line|invalid|not recognized|unknown option|usage/i;

interface DeviceInfo {
  index: number;
  uuid: string | null;
  name: string;
  memoryMiB: number | null;
}

interface Timed<T> {
  value: T;
  at: number;
}

/**
 * NVIDIA GPUs through nvidia-smi, which ships with the driver on Linux and Windows.
 * Two long-lived children do the measuring, so a tick never waits on nvidia-smi (which can
 * take seconds to answer): a `--query-gpu ... -lms` loop for device load and memory, and
 * `pmon` for per-process load. sample() only reads what they last printed.
 */
export class NvidiaCollector implements Collector<GpuReading> {
  readonly id = 'gpu.nvidia';
  readonly label = 'NVIDIA GPUs (nvidia-smi)';

  private readonly intervalMs: number;
  private readonly pmonSec: number;
  private readonly staleAfterMs: number;
  private readonly probeTimeoutMs: number;
  private readonly backoff: { initial: number; max: number };
  private readonly procMemoryRefreshMs: number;
  private readonly now: () => number;

  private phase: Phase = 'idle';
  private smiPath: string | null = null;
  private lastProbe: Timed<ProbeOutcome> | null = null;
  private probeFailure: string | null = null;
  private reprobeTimer: NodeJS.Timeout | undefined;
  private reprobeDelayMs: number;
  private runningSince = 0;
  /** Bumped by stop(): async work started under an older generation must not touch state. */
  private generation = 0;

  private fieldSet = 0;
  private devices = new Map<number, DeviceInfo>();
  private deviceRows = new Map<number, Timed<SmiGpuRow>>();
  private lastDeviceAt: number | null = null;
  private deviceGarbage: Timed<string> | null = null;
  private deviceLoop: LongLivedChild | null = null;

  private pmonSelect = 0;
  private pmonAsm = new PmonFrameAssembler();
  private pmonHeaderThisRun = false;
  private pmonFrame: Timed<PmonFrame> | null = null;
  private pmonGarbage: Timed<string> | null = null;
  private pmonUnsupported: string | null = null;
  private pmonQuietTimer: NodeJS.Timeout | undefined;
  private pmon: LongLivedChild | null = null;

  private memPollTimer: NodeJS.Timeout | undefined;
  private memPollMode: 'compute-apps' | 'xml' | null = null;
  private memPollJob: Promise<void> | null = null;
  private appMemory: Timed<Map<string, number | null>> | null = null;
  private xmlProcs: Timed<GpuProcReading[]> | null = null;
  private memPollError: string | null = null;

  constructor(private readonly opts: NvidiaCollectorOptions = {}) {
    this.intervalMs = Math.max(50, opts.intervalMs ?? 1000);
    // pmon takes whole seconds from 1 to 10.
    this.pmonSec = Math.min(10, Math.max(1, Math.round(this.intervalMs / 1000)));
    this.staleAfterMs = opts.staleAfterMs ?? 3 * Math.max(this.intervalMs, this.pmonSec * 1000) + 1000;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 3000;
    this.backoff = opts.restartBackoffMs ?? { initial: 1000, max: 60_000 };
    this.procMemoryRefreshMs = opts.procMemoryRefreshMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.reprobeDelayMs = this.backoff.initial;
  }

  async available(): Promise<Availability> {
    const outcome = await this.locateAndProbe();
    if (!outcome.ok) return { ok: false, reason: outcome.reason };
    return { ok: true, detail: describeGpus(outcome.gpus) };
  }

  async start(): Promise<void> {
    if (this.phase === 'probing' || this.phase === 'waiting' || this.phase === 'running') return;
    this.phase = 'probing';
    this.reprobeDelayMs = this.backoff.initial;
    const generation = this.generation;
    const recent = this.lastProbe;
    const outcome =
      recent?.value.ok && this.now() - recent.at < PROBE_REUSE_MS && this.smiPath
        ? recent.value
        : await this.locateAndProbe();
    this.afterProbe(outcome, generation);
  }

  async stop(): Promise<void> {
    this.generation++;
    this.phase = 'stopped';
    if (this.reprobeTimer) clearTimeout(this.reprobeTimer);
    this.reprobeTimer = undefined;
    this.stopMemPoll();
    if (this.pmonQuietTimer) clearTimeout(this.pmonQuietTimer);
    this.pmonQuietTimer = undefined;
    const children = [this.deviceLoop, this.pmon];
    this.deviceLoop = null;
    this.pmon = null;
    // A one-shot query in flight ends by its own timeout; wait a little so stop() leaves
    // no nvidia-smi behind in the normal case, without letting a hung driver hold up a quit.
    const polling = this.memPollJob;
    await Promise.all([
      ...children.map((c) => c?.stop()),
      polling ? Promise.race([polling, sleep(STOP_POLL_WAIT_MS)]) : undefined,
    ]);
    this.deviceRows.clear();
    this.pmonFrame = null;
    this.appMemory = null;
    this.xmlProcs = null;
  }

  /** Returns at once with what the children last printed; never waits for nvidia-smi. */
  async sample(_nowMs: number): Promise<GpuReading> {
    return this.snapshot();
  }

  status(): SourceStatus {
    const base = { id: this.id, label: this.label };
    switch (this.phase) {
      case 'idle': {
        const p = this.lastProbe?.value;
        if (p && !p.ok) return { ...base, health: 'unavailable', detail: p.reason };
        return { ...base, health: 'unavailable', detail: 'not started' };
      }
      case 'stopped':
        return { ...base, health: 'unavailable', detail: 'stopped' };
      case 'probing':
      case 'waiting':
        return { ...base, health: 'unavailable', detail: this.probeFailure ?? 'checking nvidia-smi' };
      case 'running':
        return { ...base, ...this.runningHealth() };
    }
  }

  // ---- probing -------------------------------------------------------------------------

  private async locateAndProbe(): Promise<ProbeOutcome> {
    const env = this.opts.env ?? process.env;
    const path = this.opts.smiPath ?? findOnPath('nvidia-smi', env.PATH ?? env.Path ?? '');
    let outcome: ProbeOutcome;
    if (!path) {
      outcome = { ok: false, reason: SMI_NOT_FOUND, notFound: true };
    } else {
      this.smiPath = path;
      outcome = await probeNvidiaSmi(path, { timeoutMs: this.probeTimeoutMs, env });
    }
    this.lastProbe = { value: outcome, at: this.now() };
    return outcome;
  }

  private afterProbe(outcome: ProbeOutcome, generation: number): void {
    if (generation !== this.generation) return;
    if (!outcome.ok || !this.smiPath) {
      this.probeFailure = outcome.ok ? SMI_NOT_FOUND : outcome.reason;
      this.phase = 'waiting';
      // The driver may load later (boot order, an install in progress): keep looking, slowly.
      const wait = this.reprobeDelayMs;
      this.reprobeDelayMs = Math.min(this.reprobeDelayMs * 2, this.backoff.max);
      this.reprobeTimer = setTimeout(() => {
        this.reprobeTimer = undefined;
        void this.locateAndProbe().then((o) => this.afterProbe(o, generation));
      }, wait);
      this.reprobeTimer.unref();
      return;
    }
    this.probeFailure = null;
    this.fieldSet = Math.max(0, QUERY_GPU_FIELD_SETS.indexOf(outcome.fields));
    const at = this.now();
    for (const row of outcome.gpus) this.acceptDeviceRow(row, at);
    this.launchChildren(this.smiPath);
  }

  // ---- long-lived children -------------------------------------------------------------

  private launchChildren(smiPath: string): void {
    this.phase = 'running';
    this.runningSince = this.now();
    this.lastDeviceAt = null;
    this.deviceGarbage = null;
    this.pmonGarbage = null;
    this.memPollError = null;
    this.pmonAsm = new PmonFrameAssembler();
    this.pmonHeaderThisRun = false;
    this.pmonUnsupported = null;
    const common = {
      file: smiPath,
      ...(this.opts.env ? { env: this.opts.env } : {}),
      initialBackoffMs: this.backoff.initial,
      maxBackoffMs: this.backoff.max,
      // A child that is alive but printing nothing is hung (driver trouble): replace it.
      silenceTimeoutMs: 2 * this.staleAfterMs,
      now: this.now,
    };
    this.deviceLoop = new LongLivedChild({
      ...common,
      label: 'nvidia-smi',
      args: () => queryGpuArgs(this.currentFields(), this.intervalMs),
      onLine: (line) => this.onDeviceLine(line),
      describeExit: (exit) =>
        describeSmiExit('nvidia-smi', exit, (l) => parseQueryGpuLine(l, this.currentFields()) !== null),
    });
    this.pmon = new LongLivedChild({
      ...common,
      label: 'nvidia-smi pmon',
      args: () => ['pmon', '-d', String(this.pmonSec), '-s', PMON_SELECTS[this.pmonSelect] ?? 'u'],
      onLine: (line) => this.onPmonLine(line),
      onExit: (exit) => this.onPmonExit([...exit.stderrHead, ...exit.stdoutTail]),
      describeExit: (exit) =>
        describeSmiExit('nvidia-smi pmon', exit, (l) => parsePmonLine(l, this.pmonAsm.columns).kind !== 'garbage'),
    });
    this.deviceLoop.start();
    this.pmon.start();
  }

  private currentFields(): readonly string[] {
    return QUERY_GPU_FIELD_SETS[this.fieldSet] ?? QUERY_GPU_FIELD_SETS[QUERY_GPU_FIELD_SETS.length - 1] ?? [];
  }

  private onDeviceLine(line: string): void {
    const row = parseQueryGpuLine(line, this.currentFields());
    const now = this.now();
    if (row) {
      this.acceptDeviceRow(row, now);
      this.lastDeviceAt = now;
      return;
    }
    if (line.trim() === '') return;
    this.deviceGarbage = { value: line.trim(), at: now };
    // A driver update can drop a field the probe accepted; the next restart asks for less.
    if (/is not a valid field to query/i.test(line) && this.fieldSet < QUERY_GPU_FIELD_SETS.length - 1) {
      this.fieldSet++;
    }
  }

  private acceptDeviceRow(row: SmiGpuRow, at: number): void {
    if (row.index === null) return;
    const known = this.devices.get(row.index);
    this.devices.set(row.index, {
      index: row.index,
      uuid: row.uuid ?? known?.uuid ?? null,
      name: row.name ?? known?.name ?? `NVIDIA GPU ${row.index}`,
      memoryMiB: row.memoryTotalMiB ?? known?.memoryMiB ?? null,
    });
    this.deviceRows.set(row.index, { value: row, at });
  }

  private onPmonLine(line: string): void {
    const done = this.pmonAsm.push(line);
    const parsed = this.pmonAsm.lastLine;
    if (parsed?.kind === 'header') this.pmonHeaderThisRun = true;
    if (parsed?.kind === 'garbage') this.pmonGarbage = { value: parsed.text, at: this.now() };
    if (done) this.acceptFrame(done);
    if (this.pmonQuietTimer) clearTimeout(this.pmonQuietTimer);
    this.pmonQuietTimer = undefined;
    if (this.pmonAsm.hasPending) {
      // pmon prints a period's rows in one burst; a pause means the frame is complete.
      const quietMs = Math.min(250, (this.pmonSec * 1000) / 4);
      this.pmonQuietTimer = setTimeout(() => {
        this.pmonQuietTimer = undefined;
        const frame = this.pmonAsm.flush();
        if (frame) this.acceptFrame(frame);
      }, quietMs);
      this.pmonQuietTimer.unref();
    }
  }

  private acceptFrame(frame: PmonFrame): void {
    this.pmonFrame = { value: frame, at: this.now() };
    // Without an fb column pmon tells nothing about memory: ask for it separately, slowly.
    if (!frame.hasFb) this.ensureMemPoll('compute-apps');
    else if (this.memPollMode === 'compute-apps') this.stopMemPoll();
  }

  private onPmonExit(output: string[]): void {
    const hadHeader = this.pmonHeaderThisRun;
    this.pmonHeaderThisRun = false;
    // A new run starts a new stream: half a frame from the dead one must not leak into it.
    // The assembler itself stays, so its columns still tell data rows from error text.
    this.pmonAsm.flush();
    if (hadHeader) return;
    const text = output.join('\n');
    const unsupported = output.find((l) => PMON_UNSUPPORTED.test(l));
    if (unsupported) {
      // vGPU guests and some boards: pmon will never work here. Fall back to the XML
      // process list (memory only) and stop retrying.
      this.pmonUnsupported = unsupported.trim();
      void this.pmon?.stop();
      this.ensureMemPoll('xml');
      return;
    }
    if (this.pmonSelect < PMON_SELECTS.length - 1 && PMON_ARGS_REJECTED.test(text)) this.pmonSelect++;
  }

  // ---- per-process memory polling ----------------------------------------------------------

  private ensureMemPoll(mode: 'compute-apps' | 'xml'): void {
    if (this.memPollMode === mode) return;
    this.stopMemPoll();
    this.memPollMode = mode;
    const generation = this.generation;
    const tick = (): void => {
      if (this.memPollJob || generation !== this.generation) return;
      const job = (mode === 'xml' ? this.pollXml() : this.pollComputeApps()).finally(() => {
        if (this.memPollJob === job) this.memPollJob = null;
      });
      this.memPollJob = job;
    };
    tick();
    this.memPollTimer = setInterval(tick, this.procMemoryRefreshMs);
    this.memPollTimer.unref();
  }

  private stopMemPoll(): void {
    if (this.memPollTimer) clearInterval(this.memPollTimer);
    this.memPollTimer = undefined;
    this.memPollMode = null;
  }

  private async runOnce(args: string[]): Promise<string | null> {
    if (!this.smiPath) return null;
    const run = await runFile(this.smiPath, args, {
      timeoutMs: this.probeTimeoutMs,
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
    if (!run.ok) {
      this.memPollError = `nvidia-smi ${args[0] ?? ''} failed: ${run.error ?? 'unknown error'}`;
      return null;
    }
    return run.stdout;
  }

  private async pollComputeApps(): Promise<void> {
    const generation = this.generation;
    const out = await this.runOnce([
      `--query-compute-apps=${QUERY_COMPUTE_APPS_FIELDS.join(',')}`,
      '--format=csv,noheader,nounits',
    ]);
    if (out === null || generation !== this.generation) return;
    const { apps } = parseComputeApps(out, QUERY_COMPUTE_APPS_FIELDS);
    const memory = new Map<string, number | null>();
    for (const app of apps) {
      const gpuId = this.gpuIdForUuid(app.gpuUuid);
      if (gpuId !== null) memory.set(`${gpuId}:${app.pid}`, app.usedMemoryMiB);
    }
    this.appMemory = { value: memory, at: this.now() };
    this.memPollError = null;
  }

  private async pollXml(): Promise<void> {
    const generation = this.generation;
    const out = await this.runOnce(['-q', '-x']);
    if (out === null || generation !== this.generation) return;
    let procs: GpuProcReading[];
    try {
      const log = parseNvidiaSmiXml(out);
      procs = log.gpus.flatMap((gpu) => {
        const gpuId = this.gpuIdForUuid(gpu.uuid) ?? String(gpu.position);
        return gpu.processes.map(
          (p): GpuProcReading => ({
            pid: p.pid,
            gpuId,
            util: null,
            memMiB: p.usedMemoryMiB,
            ...(p.name ? { name: p.name } : {}),
            ...(p.type ? { kind: p.type } : {}),
          }),
        );
      });
    } catch (err) {
      this.memPollError = `nvidia-smi -q -x: ${(err as Error).message}`;
      return;
    }
    this.xmlProcs = { value: procs, at: this.now() };
    this.memPollError = null;
  }

  /** Our GPU id for a UUID; with a single GPU a missing UUID can only mean that one. */
  private gpuIdForUuid(uuid: string | null): string | null {
    if (uuid) {
      for (const d of this.devices.values()) if (d.uuid === uuid) return String(d.index);
    }
    if (this.devices.size === 1) {
      const only = [...this.devices.values()][0];
      return only ? String(only.index) : null;
    }
    return null;
  }

  // ---- reading and health ----------------------------------------------------------------

  private snapshot(): GpuReading {
    if (this.phase !== 'running') return { devices: [], procs: [] };
    const now = this.now();
    const fresh = (at: number, maxAge = this.staleAfterMs): boolean => now - at <= maxAge;
    const devices: GpuDeviceReading[] = [...this.devices.values()]
      .sort((a, b) => a.index - b.index)
      .map((d) => {
        const row = this.deviceRows.get(d.index);
        const live = row && fresh(row.at) ? row.value : null;
        return {
          id: String(d.index),
          vendor: 'nvidia',
          name: d.name,
          memoryMiB: d.memoryMiB,
          util: live?.util ?? null,
          memUsedMiB: live?.memoryUsedMiB ?? null,
        };
      });

    // Memory polled every few seconds stays valid for a few polls.
    const memMaxAge = 3 * this.procMemoryRefreshMs + this.probeTimeoutMs;
    let procs: GpuProcReading[] = [];
    if (this.pmonUnsupported) {
      if (this.xmlProcs && fresh(this.xmlProcs.at, memMaxAge)) procs = this.xmlProcs.value;
    } else if (this.pmonFrame && fresh(this.pmonFrame.at)) {
      const appMemory = this.appMemory && fresh(this.appMemory.at, memMaxAge) ? this.appMemory.value : null;
      procs = procsFromFrame(this.pmonFrame.value, appMemory);
    }
    return { devices, procs };
  }

  private runningHealth(): Pick<SourceStatus, 'health' | 'detail'> {
    const now = this.now();
    const problems: string[] = [];
    const grace = this.staleAfterMs + this.probeTimeoutMs;

    const deviceStale =
      this.lastDeviceAt === null ? now - this.runningSince > grace : now - this.lastDeviceAt > this.staleAfterMs;
    if (deviceStale)
      problems.push(this.childProblem('nvidia-smi', this.deviceLoop, this.lastDeviceAt, this.deviceGarbage));

    const notes: string[] = [];
    if (this.pmonUnsupported) {
      notes.push(
        `per-process GPU load is not measurable here (nvidia-smi pmon: ${this.pmonUnsupported}); process memory from nvidia-smi -q -x`,
      );
    } else {
      const lastFrameAt = this.pmonFrame?.at ?? null;
      const pmonStale = lastFrameAt === null ? now - this.runningSince > grace : now - lastFrameAt > this.staleAfterMs;
      if (pmonStale) problems.push(this.childProblem('nvidia-smi pmon', this.pmon, lastFrameAt, this.pmonGarbage));
      else if (this.pmonFrame && !this.pmonFrame.value.hasFb) {
        notes.push(
          this.memPollError
            ? `process memory unavailable (${this.memPollError})`
            : 'process memory from nvidia-smi --query-compute-apps',
        );
      }
    }
    if (this.memPollError && this.pmonUnsupported) notes.push(this.memPollError);

    if (problems.length > 0) return { health: 'degraded', detail: [...problems, ...notes].join('; ') };
    const gpus = [...this.devices.values()].sort((a, b) => a.index - b.index);
    const summary = `${gpus.length} GPU${gpus.length === 1 ? '' : 's'}: ${gpus.map((g) => g.name).join(', ')}`;
    return { health: 'ok', detail: [summary, ...notes].join('; ') };
  }

  private childProblem(
    label: string,
    child: LongLivedChild | null,
    lastAt: number | null,
    garbage: Timed<string> | null,
  ): string {
    const now = this.now();
    const state = child?.state();
    if (state?.state === 'restarting') {
      const wait = Math.max(0, Math.ceil((state.retryAtMs - now) / 1000));
      return `${state.lastError}; retrying in ${wait} s`;
    }
    const failure = child?.lastFailure();
    if (failure && (lastAt === null || failure.atMs >= lastAt)) return `${failure.error}; restarted, no readings yet`;
    if (garbage && (lastAt === null || garbage.at >= lastAt)) return smiGarbageReason(garbage.value);
    const since = lastAt ?? this.runningSince;
    return `${label} printed no readings for ${Math.round((now - since) / 100) / 10} s`;
  }
}

/** Per-process readings of one pmon frame; a pid twice on one GPU is merged, keeping the larger values. */
export function procsFromFrame(
  frame: PmonFrame,
  appMemory: ReadonlyMap<string, number | null> | null,
): GpuProcReading[] {
  const byKey = new Map<string, GpuProcReading>();
  for (const p of frame.procs) {
    const gpuId = String(p.gpu);
    const key = `${gpuId}:${p.pid}`;
    const memMiB = p.fbMiB ?? appMemory?.get(key) ?? null;
    const prev = byKey.get(key);
    if (prev) {
      prev.util = maxNullable(prev.util, p.util);
      prev.memMiB = maxNullable(prev.memMiB, memMiB);
      continue;
    }
    const reading: GpuProcReading = { pid: p.pid, gpuId, util: p.util, memMiB };
    if (p.name) reading.name = p.name;
    if (p.type) reading.kind = p.type;
    byKey.set(key, reading);
  }
  return [...byKey.values()];
}

function maxNullable(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function describeGpus(gpus: SmiGpuRow[]): string {
  const names = gpus.map((g) => g.name ?? `GPU ${g.index ?? '?'}`);
  return `${gpus.length} NVIDIA GPU${gpus.length === 1 ? '' : 's'}: ${names.join(', ')}`;
}
