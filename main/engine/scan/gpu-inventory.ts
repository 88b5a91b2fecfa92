/**
 * The scan's GPU inventory: one `nvidia-smi -q -x` snapshot (devices, driver, the processes the
 * driver lists) and the DRM cards under /sys/class/drm, each saying plainly when its tool is not
 * there. On Linux and Windows the snapshot comes through `node-nvidia-smi` (nvidia-smi-node.ts),
 * with our own runner and XML reader as its fallback; on macOS, and whenever a caller injects a
 * runner (`nvidiaSmi`) or a parsed source (`nvidiaSmiLog`), that one is used instead.
 */
import type { ScanGpuDevice, ScanGpuInventory } from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { listDrmCards } from '../platform/linux/drm/drm-sysfs.js';
import { type DrmFs, nodeDrmFs } from '../platform/linux/drm/drm-fs.js';
import { parseNvidiaSmiXml, type SmiXmlLog } from '../platform/nvidia/xml-parse.js';
import { findOnPath, runFile } from '../util/exec.js';
import {
  NOT_ON_PATH,
  nodeNvidiaSmiSource,
  type NvidiaSmiLogResult,
  type NvidiaSmiLogSource,
} from './nvidia-smi-node.js';
import { abortable } from './scan-context.js';

export type NvidiaSmiXmlResult = { ok: true; xml: string } | { ok: false; reason: string };

/** Produces the text of `nvidia-smi -q -x` within `timeoutMs`, or says why it cannot. */
export type NvidiaSmiXmlRunner = (timeoutMs: number) => Promise<NvidiaSmiXmlResult>;

/** Finds nvidia-smi on PATH and runs it once (no shell, hard timeout). */
export const defaultNvidiaSmiXml: NvidiaSmiXmlRunner = async (timeoutMs) => {
  const path = findOnPath('nvidia-smi', process.env.PATH ?? process.env.Path ?? '');
  if (!path) return { ok: false, reason: NOT_ON_PATH };
  const r = await runFile(path, ['-q', '-x'], { timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  if (!r.ok) return { ok: false, reason: r.error ?? 'nvidia-smi failed' };
  return { ok: true, xml: r.stdout };
};

export interface GpuInventoryOptions {
  platform: Platform;
  /** Runs nvidia-smi and returns its XML text, read by the built-in parser (tests, other hosts). */
  nvidiaSmi?: NvidiaSmiXmlRunner;
  /** Returns a parsed snapshot; default on Linux/Windows: node-nvidia-smi, built-in reader as fallback. */
  nvidiaSmiLog?: NvidiaSmiLogSource;
  timeoutMs?: number;
  sysRoot?: string;
  drmFs?: DrmFs;
  /** Processes holding a GPU device file open (from the scan's fd walk). */
  deviceUsers?: { pid: number; name: string }[];
  signal?: AbortSignal;
}

function nvidiaDevices(log: SmiXmlLog): ScanGpuDevice[] {
  return log.gpus.map((g) => ({
    source: 'nvidia-smi',
    id: g.busId ?? String(g.position),
    name: g.name ?? `NVIDIA GPU ${g.position}`,
    vendor: 'nvidia',
    driver: log.driverVersion ? `nvidia ${log.driverVersion}` : 'nvidia',
    memoryMiB: g.memoryTotalMiB,
    memoryUsedMiB: g.memoryUsedMiB,
    util: g.util,
  }));
}

/** The built-in path: a runner's XML text through parseNvidiaSmiXml. */
async function builtInSnapshot(runner: NvidiaSmiXmlRunner, timeoutMs: number): Promise<NvidiaSmiLogResult> {
  const r = await runner(timeoutMs);
  if (!r.ok) return r;
  try {
    return { ok: true, log: parseNvidiaSmiXml(r.xml), via: 'built-in parser' };
  } catch (e) {
    return { ok: false, reason: `its output could not be read: ${(e as Error).message}` };
  }
}

function snapshotSource(opts: GpuInventoryOptions): NvidiaSmiLogSource {
  if (opts.nvidiaSmiLog) return opts.nvidiaSmiLog;
  const runner = opts.nvidiaSmi;
  if (runner || opts.platform === 'darwin') return (ms) => builtInSnapshot(runner ?? defaultNvidiaSmiXml, ms);
  return nodeNvidiaSmiSource({ fallback: defaultNvidiaSmiXml });
}

export async function gpuInventory(opts: GpuInventoryOptions): Promise<ScanGpuInventory> {
  const inv: ScanGpuInventory = { devices: [], processes: [], tools: [], driverVersion: null };
  const smi = await abortable(snapshotSource(opts)(opts.timeoutMs ?? 10_000), opts.signal);
  if (smi.ok) {
    const log = smi.log;
    inv.driverVersion = log.driverVersion;
    inv.devices.push(...nvidiaDevices(log));
    for (const g of log.gpus) {
      for (const p of g.processes) {
        inv.processes.push({ pid: p.pid, name: p.name, source: 'nvidia-smi', memoryMiB: p.usedMemoryMiB });
      }
    }
    const how = smi.note ? ` (read by the built-in parser: ${smi.note})` : '';
    inv.tools.push({
      tool: 'nvidia-smi',
      ok: true,
      detail: `${log.gpus.length} GPU${log.gpus.length === 1 ? '' : 's'}, driver ${log.driverVersion ?? 'unknown'}${how}`,
    });
  } else {
    inv.tools.push({ tool: 'nvidia-smi', ok: false, detail: smi.reason });
  }

  if (opts.platform === 'linux') {
    const sysRoot = opts.sysRoot ?? '/sys';
    const cards = listDrmCards(opts.drmFs ?? nodeDrmFs, sysRoot).filter((c) => !c.firmwareFramebuffer);
    for (const c of cards) {
      // NVIDIA cards are listed by nvidia-smi when it works; DRM still names them when it does not.
      if (c.nvidia && smi.ok) continue;
      inv.devices.push({
        source: 'drm',
        id: c.id,
        name: c.name,
        vendor: c.vendor,
        driver: c.driver,
        memoryMiB: c.memoryMiB,
        memoryUsedMiB: null,
        util: null,
      });
    }
    inv.tools.push({
      tool: 'DRM (sysfs)',
      ok: cards.length > 0,
      detail:
        cards.length > 0
          ? `${cards.length} card${cards.length === 1 ? '' : 's'} under ${sysRoot}/class/drm`
          : `no GPU under ${sysRoot}/class/drm (no DRM driver loaded, or a container without /sys/class/drm)`,
    });
  } else {
    inv.tools.push({
      tool: 'DRM (sysfs)',
      ok: false,
      detail: `Linux only; on ${opts.platform === 'win32' ? 'Windows' : 'macOS'} only nvidia-smi is asked`,
    });
  }

  const listed = new Set(inv.processes.map((p) => p.pid));
  for (const u of opts.deviceUsers ?? []) {
    if (!listed.has(u.pid)) inv.processes.push({ pid: u.pid, name: u.name, source: 'device-file', memoryMiB: null });
  }
  return inv;
}
