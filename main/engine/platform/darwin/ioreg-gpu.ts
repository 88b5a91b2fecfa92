/**
 * GPU devices and the HID idle time out of `ioreg` text (parsed by ioreg-parse.ts).
 *
 * Apple Silicon and Intel/AMD Macs both publish an IOAccelerator node per GPU whose
 * "PerformanceStatistics" dictionary carries "Device Utilization %" (also "Renderer Utilization %"
 * and "Tiler Utilization %" on Apple GPUs). Memory differs: Apple GPUs share system memory and
 * report "In use system memory" / "Alloc system memory" (bytes); discrete and Intel GPUs report
 * "vramUsedBytes" (with "vramFreeBytes" on AMD) and sometimes "VRAM,totalMB" on the node.
 */
import type { GpuVendor } from '../../../../shared/trace.js';
import type { GpuDeviceReading } from '../gpu.js';
import { type IoNode, ioDataUint, ioDict, ioNumber, ioString, parseIoreg } from './ioreg-parse.js';

/** `ioreg -r -d 1 -w 0 -c IOAccelerator`: every accelerator node with its properties, no children, lines unwrapped. */
export const IOREG_ACCELERATOR_ARGS: readonly string[] = ['-r', '-d', '1', '-w', '0', '-c', 'IOAccelerator'];
/** `ioreg -c IOHIDSystem -d 4 -r -k HIDIdleTime`: the HID system node(s), only the idle-time property. */
export const IOREG_HID_IDLE_ARGS: readonly string[] = ['-c', 'IOHIDSystem', '-d', '4', '-r', '-k', 'HIDIdleTime'];

export interface AcceleratorReading extends GpuDeviceReading {
  /** "Renderer Utilization %" and "Tiler Utilization %" (Apple GPUs), for the detail line. */
  rendererUtil: number | null;
  tilerUtil: number | null;
}

const MIB = 1024 * 1024;

const VENDORS: Record<number, GpuVendor> = { 4203: 'apple', 4098: 'amd', 32902: 'intel', 4318: 'nvidia' };

function percent(v: number | null): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  return Math.min(100, Math.max(0, v));
}

function mib(bytes: number | null): number | null {
  return bytes === null || bytes < 0 ? null : Math.round(bytes / MIB);
}

function vendorOf(node: IoNode): GpuVendor {
  const id = ioDataUint(node.props['vendor-id']) ?? ioNumber(node.props['vendor-id']);
  if (id !== null && VENDORS[id]) return VENDORS[id];
  const cls = `${node.className ?? ''} ${node.name}`;
  if (/^AGX/i.test(cls.trim()) || /AGXAccelerator/i.test(cls)) return 'apple';
  if (/AMD|Radeon|ATI/i.test(cls)) return 'amd';
  if (/Intel/i.test(cls)) return 'intel';
  if (/NVDA|GeForce|nvidia/i.test(cls)) return 'nvidia';
  return 'other';
}

function nameOf(node: IoNode, vendor: GpuVendor): string {
  const model = ioString(node.props.model);
  if (model?.trim()) return model.trim();
  const matched = ioString(node.props.IONameMatched);
  if (vendor === 'apple' && matched) {
    // "gpu,t6000": the SoC's GPU; the marketing name (M1 Pro) is not on this node.
    const soc = matched.split(',')[1];
    return soc ? `Apple GPU (${soc})` : 'Apple GPU';
  }
  return node.className ?? node.name;
}

/**
 * One reading per IOAccelerator node. A node without a "PerformanceStatistics" dictionary is a
 * GPU the driver does not measure: it is still listed, with util null.
 */
export function acceleratorsFromIoreg(text: string): AcceleratorReading[] {
  const out: AcceleratorReading[] = [];
  const seen = new Set<string>();
  for (const node of parseIoreg(text)) {
    if (node.depth !== 0) continue; // -d 1 prints no children; ignore them if another depth was asked
    const stats = ioDict(node.props.PerformanceStatistics);
    const vendor = vendorOf(node);
    let id = `ioreg:${node.registryId ?? node.name}`;
    // Two nodes with no registry id and one name: keep both, numbered.
    for (let n = 2; seen.has(id); n++) id = `ioreg:${node.registryId ?? node.name}#${n}`;
    seen.add(id);
    const stat = (k: string): number | null => (stats ? ioNumber(stats[k]) : null);
    const used =
      stat('In use system memory') ?? stat('vramUsedBytes') ?? stat('inUseVidMemoryBytes') ?? stat('gartUsedBytes');
    const vramFree = stat('vramFreeBytes');
    const totalMB = ioNumber(node.props['VRAM,totalMB']);
    let memoryMiB: number | null = null;
    if (totalMB !== null && totalMB > 0) memoryMiB = totalMB;
    else if (used !== null && vramFree !== null) memoryMiB = mib(used + vramFree);
    out.push({
      id,
      vendor,
      name: nameOf(node, vendor),
      memoryMiB,
      util: percent(stat('Device Utilization %') ?? stat('GPU Activity(%)')),
      memUsedMiB: mib(used),
      rendererUtil: percent(stat('Renderer Utilization %')),
      tilerUtil: percent(stat('Tiler Utilization %')),
    });
  }
  return out;
}

/**
 * HIDIdleTime (nanoseconds since the last keyboard/mouse/trackpad event) as seconds; the smallest
 * when several HID system nodes carry one. Null when none is printed.
 */
export function hidIdleSecondsFromIoreg(text: string): number | null {
  let best: number | null = null;
  for (const node of parseIoreg(text)) {
    const ns = ioNumber(node.props.HIDIdleTime);
    if (ns === null || ns < 0) continue;
    if (best === null || ns < best) best = ns;
  }
  return best === null ? null : best / 1e9;
}
