/**
 * Parsers for what the Windows sampler prints (commands.ts): counter paths, GPU Engine and
 * GPU Process Memory instance names, and one sample line turned into a frame. Pure functions.
 *
 * Formats, from Microsoft's documentation and the GPU counter instance names seen in public code:
 * - a counter path is `\\MACHINE\object(instance)\counter`; Get-Counter returns it lower-cased
 *   (`\\pc\process(chrome#3)\% processor time`), so everything here compares case-insensitively.
 * - GPU Engine instances: `pid_<pid>_luid_<hi>_<lo>_phys_<n>_eng_<n>_engtype_<type>`, e.g.
 *   `pid_1234_luid_0x00000000_0x0000D1A4_phys_0_eng_0_engtype_3D`.
 * - GPU Process Memory instances: `pid_<pid>_luid_<hi>_<lo>_phys_<n>`.
 * - Process instances are names, made unique with `#n` (`chrome#3`): they are NOT identities; the
 *   pid comes from the `ID Process` counter of the same instance in the same sample.
 */

export interface CounterPath {
  object: string;
  instance: string | null;
  counter: string;
}

/** `\\host\object(instance)\counter` or `\object(instance)\counter`; lower-cased object/counter. Null when malformed. */
export function parseCounterPath(path: string): CounterPath | null {
  let rest = path;
  if (rest.startsWith('\\\\')) {
    const slash = rest.indexOf('\\', 2);
    if (slash < 0) return null;
    rest = rest.slice(slash);
  }
  if (!rest.startsWith('\\')) return null;
  const lastSlash = rest.lastIndexOf('\\');
  if (lastSlash <= 0) return null;
  const counter = rest.slice(lastSlash + 1).toLowerCase();
  const objectPart = rest.slice(1, lastSlash);
  if (counter === '' || objectPart === '') return null;
  const open = objectPart.indexOf('(');
  if (open < 0) return { object: objectPart.toLowerCase(), instance: null, counter };
  // Instance names may themselves hold parentheses ("App (x86)"): the instance ends at the last ')'.
  if (!objectPart.endsWith(')')) return null;
  return {
    object: objectPart.slice(0, open).toLowerCase(),
    instance: objectPart.slice(open + 1, -1),
    counter,
  };
}

/** Canonical spelling of the engine types Windows reports (Get-Counter lower-cases them). */
const ENGINE_TYPES: ReadonlyMap<string, string> = new Map(
  [
    '3D',
    'Copy',
    'VideoDecode',
    'VideoEncode',
    'VideoProcessing',
    'Cuda',
    'Security',
    'Overlay',
    'LegacyOverlay',
    'Crypto',
    'VR',
  ].map((t) => [t.toLowerCase(), t]),
);

/** `compute_0` → `Compute_0`, `timer0` → `Timer0`; unknown types are kept exactly as received. */
export function canonicalEngineType(raw: string): string {
  const lower = raw.toLowerCase();
  const known = ENGINE_TYPES.get(lower);
  if (known) return known;
  const m = /^(compute|graphics|timer)(_?\d+)$/.exec(lower);
  if (m?.[1] && m[2]) return m[1][0]!.toUpperCase() + m[1].slice(1) + m[2];
  return raw;
}

export interface GpuEngineInstance {
  pid: number;
  /** `0x<hi 8 hex>_0x<lo 8 hex>`, lower-case, zero-padded: the adapter's LUID. */
  luid: string;
  phys: number;
  eng: number;
  engType: string;
}

export interface GpuMemoryInstance {
  pid: number;
  luid: string;
  phys: number;
}

const LUID = '(0x[0-9a-f]{1,8})_(0x[0-9a-f]{1,8})';
const ENGINE_RE = new RegExp(`^pid_(\\d{1,10})_luid_${LUID}_phys_(\\d{1,4})_eng_(\\d{1,4})_engtype_(.+)$`, 'i');
const MEMORY_RE = new RegExp(`^pid_(\\d{1,10})_luid_${LUID}_phys_(\\d{1,4})$`, 'i');

function normLuid(hi: string, lo: string): string {
  const pad = (h: string) => `0x${h.slice(2).toLowerCase().padStart(8, '0')}`;
  return `${pad(hi)}_${pad(lo)}`;
}

export function parseGpuEngineInstance(name: string): GpuEngineInstance | null {
  const m = ENGINE_RE.exec(name.trim());
  if (!m) return null;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid)) return null;
  return {
    pid,
    luid: normLuid(m[2]!, m[3]!),
    phys: Number(m[4]),
    eng: Number(m[5]),
    engType: canonicalEngineType(m[6]!.trim()),
  };
}

export function parseGpuMemoryInstance(name: string): GpuMemoryInstance | null {
  const m = MEMORY_RE.exec(name.trim());
  if (!m) return null;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid)) return null;
  return { pid, luid: normLuid(m[2]!, m[3]!), phys: Number(m[4]) };
}

/** One process as one sample saw it. */
export interface RawProc {
  /** Counter instance (`chrome#3`): display only, renumbered by Windows as siblings exit. */
  instance: string;
  pid: number;
  ppid: number | null;
  /** Total CPU time so far, in 100 ns units (raw `% Processor Time`). */
  cpu100ns: number | null;
  /** Creation time, epoch ms (raw `Elapsed Time` is the creation FILETIME). */
  startTimeMs: number | null;
  workingSetBytes: number | null;
}

export interface GpuEngineSample extends GpuEngineInstance {
  /** Cooked `Utilization Percentage` over the sample interval. */
  util: number;
}

export interface GpuMemorySample extends GpuMemoryInstance {
  dedicatedBytes: number | null;
  sharedBytes: number | null;
}

export interface CounterFrame {
  atMs: number;
  /** `\Processor(_Total)\% Processor Time`, percent of all cores; null when absent. */
  cpuTotal: number | null;
  procs: RawProc[];
  gpuEngines: GpuEngineSample[];
  gpuMemory: GpuMemorySample[];
  /** GPU Engine instances in the sample, idle ones included (the sampler leaves those out of `s`). */
  gpuEngineInstances: number;
  /** Whether each counter set answered at all in this sample. */
  has: { process: boolean; processor: boolean; gpuEngine: boolean; gpuMemory: boolean };
  /** Get-Counter's own error texts for this sample (localized). */
  errors: string[];
  /** Entries that could not be understood (malformed path, bad value, an invalid status). */
  skipped: number;
}

export interface SamplerHello {
  culture: string | null;
  uiCulture: string | null;
  psVersion: string | null;
}

export type SamplerLine =
  | { kind: 'hello'; hello: SamplerHello }
  | { kind: 'frame'; frame: CounterFrame }
  | { kind: 'garbage'; text: string };

/** FILETIME (100 ns since 1601-01-01) → epoch ms. */
const FILETIME_EPOCH_MS = 11_644_473_600_000;
/** Start times before this (2000-01-01) or in the future are not real creation times. */
const MIN_START_MS = 946_684_800_000;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * One line of the sampler. Anything that is not the sampler's JSON (a PowerShell error written
 * to stdout, a torn line, a banner) is `garbage`, with a short excerpt for the status sentence.
 */
export function parseSamplerLine(line: string): SamplerLine {
  const text = line.trim();
  const garbage = (): SamplerLine => ({ kind: 'garbage', text: text.slice(0, 200) });
  if (!text.startsWith('{')) return garbage();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return garbage();
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return garbage();
  const o = v as Record<string, unknown>;
  if (o.hello === 1) {
    return {
      kind: 'hello',
      hello: { culture: str(o.culture), uiCulture: str(o.ui), psVersion: str(o.ps) },
    };
  }
  const atMs = num(o.t);
  if (atMs === null || !Array.isArray(o.s)) return garbage();
  return { kind: 'frame', frame: buildFrame(atMs, o.s, o) };
}

interface ProcAcc {
  pid?: number;
  ppid?: number;
  cpu100ns?: number;
  startTimeMs?: number;
  elapsedSec?: number;
  workingSetBytes?: number;
}

function buildFrame(atMs: number, samples: unknown[], o: Record<string, unknown>): CounterFrame {
  const frame: CounterFrame = {
    atMs,
    cpuTotal: null,
    procs: [],
    gpuEngines: [],
    gpuMemory: [],
    gpuEngineInstances: Math.max(0, num(o.ge) ?? 0),
    has: { process: false, processor: false, gpuEngine: false, gpuMemory: false },
    errors: Array.isArray(o.errs) ? o.errs.filter((e): e is string => typeof e === 'string').slice(0, 5) : [],
    skipped: 0,
  };
  if (frame.gpuEngineInstances > 0) frame.has.gpuEngine = true;
  const procs = new Map<string, ProcAcc>();
  const mem = new Map<string, GpuMemorySample>();
  for (const s of samples) {
    if (!Array.isArray(s) || typeof s[0] !== 'string') {
      frame.skipped++;
      continue;
    }
    const path = parseCounterPath(s[0]);
    const raw = num(s[1]);
    const cooked = num(s[2]);
    const status = num(s[3]) ?? 0;
    // A non-zero PDH status: the instance vanished between the two reads, or no data yet.
    if (!path || status !== 0) {
      frame.skipped++;
      continue;
    }
    switch (path.object) {
      case 'processor':
        frame.has.processor = true;
        if (path.instance?.toLowerCase() === '_total' && path.counter === '% processor time' && cooked !== null)
          frame.cpuTotal = Math.min(100, Math.max(0, cooked));
        break;
      case 'process': {
        frame.has.process = true;
        const inst = path.instance;
        if (inst === null || inst.toLowerCase() === '_total' || raw === null) {
          if (inst === null || raw === null) frame.skipped++;
          break;
        }
        let acc = procs.get(inst);
        if (!acc) {
          acc = {};
          procs.set(inst, acc);
        }
        if (path.counter === 'id process') acc.pid = raw;
        else if (path.counter === 'creating process id') acc.ppid = raw;
        else if (path.counter === '% processor time') acc.cpu100ns = raw;
        else if (path.counter === 'working set') acc.workingSetBytes = raw;
        else if (path.counter === 'elapsed time') {
          acc.startTimeMs = raw / 10_000 - FILETIME_EPOCH_MS;
          if (cooked !== null) acc.elapsedSec = cooked;
        }
        break;
      }
      case 'gpu engine': {
        frame.has.gpuEngine = true;
        const inst = path.instance === null ? null : parseGpuEngineInstance(path.instance);
        if (!inst || cooked === null || path.counter !== 'utilization percentage') {
          frame.skipped++;
          break;
        }
        frame.gpuEngines.push({ ...inst, util: Math.max(0, cooked) });
        break;
      }
      case 'gpu process memory': {
        frame.has.gpuMemory = true;
        const inst = path.instance === null ? null : parseGpuMemoryInstance(path.instance);
        const bytes = raw ?? cooked;
        if (!inst || bytes === null) {
          frame.skipped++;
          break;
        }
        const key = `${inst.pid}|${inst.luid}|${inst.phys}`;
        let m = mem.get(key);
        if (!m) {
          m = { ...inst, dedicatedBytes: null, sharedBytes: null };
          mem.set(key, m);
        }
        if (path.counter === 'dedicated usage') m.dedicatedBytes = Math.max(0, bytes);
        else if (path.counter === 'shared usage') m.sharedBytes = Math.max(0, bytes);
        else frame.skipped++;
        break;
      }
      default:
        frame.skipped++;
    }
  }
  for (const [instance, a] of procs) {
    // Without its pid an instance cannot be tied to a process (it exited between reads).
    // Pid 0 is the Idle pseudo-process (and _Total): not a program.
    if (a.pid === undefined || !Number.isSafeInteger(a.pid) || a.pid <= 0) continue;
    let startTimeMs: number | null = a.startTimeMs ?? null;
    if (startTimeMs === null || startTimeMs < MIN_START_MS || startTimeMs > atMs + 86_400_000) {
      // Not a FILETIME after all: derive it from the cooked age, to the second.
      startTimeMs = a.elapsedSec !== undefined ? Math.round((atMs - a.elapsedSec * 1000) / 1000) * 1000 : null;
    } else {
      startTimeMs = Math.round(startTimeMs);
    }
    frame.procs.push({
      instance,
      pid: a.pid,
      ppid: a.ppid ?? null,
      cpu100ns: a.cpu100ns ?? null,
      startTimeMs,
      workingSetBytes: a.workingSetBytes ?? null,
    });
  }
  frame.gpuMemory = [...mem.values()];
  return frame;
}

export interface GpuProcUse {
  pid: number;
  /** Device key `luid_<hi>_<lo>_phys_<n>`. */
  device: string;
  /** Busiest engine type's summed utilisation, 0..100. */
  util: number;
  /** The engine type that gave `util`; null when every engine was idle. */
  engType: string | null;
  dedicatedBytes: number | null;
  sharedBytes: number | null;
}

export interface GpuDeviceUse {
  device: string;
  luid: string;
  phys: number;
  util: number;
  engType: string | null;
  dedicatedBytes: number | null;
  sharedBytes: number | null;
}

export function deviceKey(luid: string, phys: number): string {
  return `luid_${luid}_phys_${phys}`;
}

/** Max over engine types of the per-type sum, capped at 100 (what Task Manager shows). */
function busiest(byType: Map<string, number>): { util: number; engType: string | null } {
  let util = 0;
  let engType: string | null = null;
  for (const [t, v] of byType) {
    if (v > util) {
      util = v;
      engType = t;
    }
  }
  return { util: Math.min(100, Math.round(util * 10) / 10), engType };
}

/**
 * Per process and device: engines of one type summed, the busiest type reported; memory from the
 * GPU Process Memory instance of the same pid and adapter. Per device: the same rule over the sum
 * of all processes, memory summed over processes.
 */
export function aggregateGpu(frame: CounterFrame): { procs: GpuProcUse[]; devices: GpuDeviceUse[] } {
  const perProc = new Map<string, { pid: number; device: string; byType: Map<string, number> }>();
  const perDevice = new Map<string, { luid: string; phys: number; byType: Map<string, number> }>();
  const add = (m: Map<string, number>, t: string, v: number) => m.set(t, (m.get(t) ?? 0) + v);
  for (const e of frame.gpuEngines) {
    const device = deviceKey(e.luid, e.phys);
    const key = `${e.pid}|${device}`;
    let p = perProc.get(key);
    if (!p) {
      p = { pid: e.pid, device, byType: new Map() };
      perProc.set(key, p);
    }
    add(p.byType, e.engType, e.util);
    let d = perDevice.get(device);
    if (!d) {
      d = { luid: e.luid, phys: e.phys, byType: new Map() };
      perDevice.set(device, d);
    }
    add(d.byType, e.engType, e.util);
  }
  const memByKey = new Map<string, GpuMemorySample>();
  const devMem = new Map<string, { dedicated: number | null; shared: number | null }>();
  const plus = (a: number | null, b: number | null) => (b === null ? a : (a ?? 0) + b);
  for (const m of frame.gpuMemory) {
    const device = deviceKey(m.luid, m.phys);
    memByKey.set(`${m.pid}|${device}`, m);
    if (!perDevice.has(device)) perDevice.set(device, { luid: m.luid, phys: m.phys, byType: new Map() });
    const d = devMem.get(device) ?? { dedicated: null, shared: null };
    d.dedicated = plus(d.dedicated, m.dedicatedBytes);
    d.shared = plus(d.shared, m.sharedBytes);
    devMem.set(device, d);
    // A process holding GPU memory with every engine idle is still a GPU user.
    const key = `${m.pid}|${device}`;
    if (!perProc.has(key)) perProc.set(key, { pid: m.pid, device, byType: new Map() });
  }
  const procs: GpuProcUse[] = [];
  for (const [key, p] of perProc) {
    const m = memByKey.get(key);
    procs.push({
      pid: p.pid,
      device: p.device,
      ...busiest(p.byType),
      dedicatedBytes: m?.dedicatedBytes ?? null,
      sharedBytes: m?.sharedBytes ?? null,
    });
  }
  const devices: GpuDeviceUse[] = [];
  for (const [device, d] of perDevice) {
    const m = devMem.get(device);
    devices.push({
      device,
      luid: d.luid,
      phys: d.phys,
      ...busiest(d.byType),
      dedicatedBytes: m?.dedicated ?? null,
      sharedBytes: m?.shared ?? null,
    });
  }
  procs.sort((a, b) => a.pid - b.pid || a.device.localeCompare(b.device));
  devices.sort((a, b) => a.device.localeCompare(b.device));
  return { procs, devices };
}

/** One answer of the helper's `ident` request: [pid, ppid, name, exe, cmdline, startMs, user]. */
export interface WinIdentity {
  pid: number;
  ppid: number;
  name: string;
  exe: string | null;
  cmdline: string;
  startTimeMs: number | null;
  user: string | null;
}

export function parseIdentRows(rows: unknown): WinIdentity[] {
  if (!Array.isArray(rows)) return [];
  const out: WinIdentity[] = [];
  for (const r of rows) {
    if (!Array.isArray(r)) continue;
    const pid = num(r[0]);
    if (pid === null || !Number.isSafeInteger(pid) || pid <= 0) continue;
    const start = num(r[5]);
    out.push({
      pid,
      ppid: num(r[1]) ?? 0,
      name: str(r[2]) ?? '',
      exe: str(r[3]) || null,
      cmdline: str(r[4]) ?? '',
      startTimeMs: start !== null && start > 0 ? start : null,
      user: str(r[6]) || null,
    });
  }
  return out;
}
