/**
 * GPU devices as /sys/class/drm lists them: identity (vendor, name, PCI address) and the device-wide
 * figures some drivers publish (amdgpu: gpu_busy_percent, VRAM size and use).
 */
import { basename } from 'node:path';
import type { GpuVendor } from '../../../../../shared/trace.js';
import type { DrmFs } from './drm-fs.js';
import { readOptional } from './drm-fs.js';

export interface DrmCard {
  /** `card0`. */
  card: string;
  deviceDir: string;
  /** PCI address (`0000:03:00.0`) or, for a platform GPU, its device name (`fec00000.v3d`). */
  address: string | null;
  /** `drm:<address>`, the id GPU readings use; `drm:<card>` when the address cannot be read. */
  id: string;
  driver: string | null;
  vendorId: number | null;
  vendor: GpuVendor;
  name: string;
  /** NVIDIA's own collector covers this card. */
  nvidia: boolean;
  /** A firmware framebuffer (simpledrm and kin): a display, never a GPU anything can run work on. */
  firmwareFramebuffer: boolean;
  memoryMiB: number | null;
  /** The driver publishes a device-wide busy percent (amdgpu's gpu_busy_percent). */
  hasBusyPercent: boolean;
}

const PCI_VENDOR_AMD = 0x1002;
const PCI_VENDOR_INTEL = 0x8086;
const PCI_VENDOR_NVIDIA = 0x10de;

const FIRMWARE_FB_DRIVERS = new Set(['simple-framebuffer', 'simpledrm', 'efidrm', 'vesadrm', 'ofdrm']);

const CARD = /^card\d+$/;

/** Vendor from the PCI id, else from the driver name (platform GPUs and fdinfo-only devices have no PCI id). */
export function vendorOf(vendorId: number | null, driver: string | null): GpuVendor {
  if (vendorId === PCI_VENDOR_AMD) return 'amd';
  if (vendorId === PCI_VENDOR_INTEL) return 'intel';
  if (vendorId === PCI_VENDOR_NVIDIA) return 'nvidia';
  if (vendorId === null) {
    if (driver === 'amdgpu' || driver === 'radeon') return 'amd';
    if (driver === 'i915' || driver === 'xe') return 'intel';
    if (driver?.startsWith('nvidia')) return 'nvidia';
  }
  return 'other';
}

/** A name for a GPU that does not report a marketing name: "AMD GPU 0000:03:00.0", "v3d GPU fec00000.v3d". */
export function fallbackGpuName(vendor: GpuVendor, driver: string | null, address: string | null): string {
  const who =
    vendor === 'amd' ? 'AMD' : vendor === 'intel' ? 'Intel' : vendor === 'nvidia' ? 'NVIDIA' : (driver ?? 'DRM');
  return address ? `${who} GPU ${address}` : `${who} GPU`;
}

function ueventField(uevent: string | null, field: string): string | null {
  if (!uevent) return null;
  for (const line of uevent.split('\n')) {
    if (line.startsWith(`${field}=`)) return line.slice(field.length + 1).trim() || null;
  }
  return null;
}

function bytesToMiB(text: string | null): number | null {
  if (text === null) return null;
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) && n >= 0 ? n / 1024 ** 2 : null;
}

function readCard(fs: DrmFs, drmDir: string, card: string): DrmCard | null {
  const deviceDir = `${drmDir}/${card}/device`;
  let attrs: Set<string>;
  try {
    attrs = new Set(fs.readdir(deviceDir));
  } catch {
    return null; // a card without a device (virtual, or unplugged mid-read)
  }
  // The uevent file names the PCI slot and driver as plain text, so it needs no symlink resolution
  // (and a fake sysfs can provide it); the symlinks are the fallback.
  const uevent = attrs.has('uevent') ? readOptional(fs, `${deviceDir}/uevent`) : null;
  let address = ueventField(uevent, 'PCI_SLOT_NAME');
  if (!address) {
    try {
      const name = basename(fs.realpath(deviceDir));
      address = name !== 'device' ? name : null;
    } catch {
      address = null;
    }
  }
  let driver = ueventField(uevent, 'DRIVER');
  if (!driver) {
    try {
      driver = basename(fs.readlink(`${deviceDir}/driver`));
    } catch {
      driver = null;
    }
  }
  const vendorText = readOptional(fs, `${deviceDir}/vendor`)?.trim();
  const vendorParsed = vendorText ? Number.parseInt(vendorText, 16) : Number.NaN;
  const vendorId = Number.isFinite(vendorParsed) ? vendorParsed : null;
  const vendor = vendorOf(vendorId, driver);
  const product = readOptional(fs, `${deviceDir}/product_name`)?.trim();

  return {
    card,
    deviceDir,
    address,
    id: `drm:${address ?? card}`,
    driver,
    vendorId,
    vendor,
    name: product || fallbackGpuName(vendor, driver, address),
    nvidia: vendor === 'nvidia',
    firmwareFramebuffer:
      (driver !== null && FIRMWARE_FB_DRIVERS.has(driver)) || (address?.startsWith('simple-framebuffer') ?? false),
    memoryMiB: attrs.has('mem_info_vram_total')
      ? bytesToMiB(readOptional(fs, `${deviceDir}/mem_info_vram_total`))
      : null,
    hasBusyPercent: attrs.has('gpu_busy_percent'),
  };
}

/**
 * Every GPU under /sys/class/drm, one per device: connectors (`card0-DP-1`) and render nodes
 * (`renderD128`) are other views of the same devices and are skipped. Empty when /sys is unreadable.
 */
export function listDrmCards(fs: DrmFs, sysRoot: string): DrmCard[] {
  const drmDir = `${sysRoot}/class/drm`;
  let names: string[];
  try {
    names = fs.readdir(drmDir);
  } catch {
    return [];
  }
  const cards: DrmCard[] = [];
  const ids = new Set<string>();
  const ordered = names.filter((n) => CARD.test(n)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  for (const name of ordered) {
    const card = readCard(fs, drmDir, name);
    if (card && !ids.has(card.id)) {
      ids.add(card.id);
      cards.push(card);
    }
  }
  return cards;
}

/** Whether this collector reports the card (NVIDIA's and firmware framebuffers are not ours). */
export function isOurCard(card: DrmCard): boolean {
  return !card.nvidia && !card.firmwareFramebuffer;
}

export interface DrmCardLoad {
  /** Device-wide busy percent where the driver publishes one (amdgpu), else null. */
  util: number | null;
  memUsedMiB: number | null;
}

/**
 * The card's device-wide figures this tick. A runtime-suspended GPU (a laptop's idle dGPU) is not read:
 * on older kernels reading gpu_busy_percent or the VRAM counters wakes it up, spending battery to learn
 * that it was idle. Asleep means nothing runs on it, so its busy figure is 0.
 */
export function readCardLoad(fs: DrmFs, card: DrmCard): DrmCardLoad {
  if (!card.hasBusyPercent && card.memoryMiB === null) return { util: null, memUsedMiB: null };
  if (readOptional(fs, `${card.deviceDir}/power/runtime_status`)?.trim() === 'suspended') {
    return { util: card.hasBusyPercent ? 0 : null, memUsedMiB: null };
  }
  let util: number | null = null;
  const busy = card.hasBusyPercent ? readOptional(fs, `${card.deviceDir}/gpu_busy_percent`)?.trim() : undefined;
  if (busy) {
    const n = Number(busy);
    if (Number.isFinite(n)) util = Math.min(100, Math.max(0, n));
  }
  const memUsedMiB =
    card.memoryMiB === null ? null : bytesToMiB(readOptional(fs, `${card.deviceDir}/mem_info_vram_used`));
  return { util, memUsedMiB };
}
