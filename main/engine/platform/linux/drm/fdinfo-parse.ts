/**
 * Parser for the DRM client usage stats a Linux GPU driver writes into /proc/PID/fdinfo/N
 * (Documentation/gpu/drm-usage-stats.rst), plus the older amdgpu-only format of kernels 5.14–5.18.
 * Pure: text in, numbers out; the rate maths live in drm-usage.ts.
 */

/** One DRM client (one open DRM file description) as its fdinfo describes it at one instant. */
export interface DrmFdinfo {
  driver: string;
  /** PCI address such as `0000:03:00.0`; null for platform GPUs (Mali, V3D, Adreno), which print none. */
  pdev: string | null;
  /**
   * `drm-client-id`. The pre-5.19 amdgpu format has none; it prints `pasid`, which amdgpu allocates
   * per open file (per GPU VM), so it identifies the client just as well. Null when neither is there.
   */
  clientId: string | null;
  /** Cumulative busy nanoseconds per engine class (`drm-engine-<name>`). */
  engines: Record<string, number>;
  /** Identical engines per class (`drm-engine-capacity-<name>`); a class not listed has one. */
  capacity: Record<string, number>;
  /** `drm-cycles-<name>`: GPU cycles this client kept the class busy. */
  cycles: Record<string, number>;
  /** `drm-total-cycles-<name>`: cycles elapsed on that class; xe reports busy only as this ratio. */
  totalCycles: Record<string, number>;
  /** MiB per memory region: resident when printed, else total, else the legacy `drm-memory-*` value. */
  memory: Record<string, number>;
  /** Old amdgpu format: the kernel's own busy percentage per ring (`gfx0: 70.59%`), already a rate. */
  legacyPercent: Record<string, number>;
}

const UNIT_BYTES: Record<string, number> = {
  '': 1,
  B: 1,
  KiB: 1024,
  // The old amdgpu format prints `kB` but divides by 1024 (amdgpu_fdinfo.c: `vram_mem / 1024UL`).
  kB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

const QUANTITY = /^(\d+(?:\.\d+)?)\s*([A-Za-z%]*)$/;

interface Quantity {
  n: number;
  unit: string;
}

function quantity(value: string): Quantity | null {
  const m = QUANTITY.exec(value);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? { n, unit: m[2] ?? '' } : null;
}

function mib(value: string): number | null {
  const q = quantity(value);
  if (!q) return null;
  // Own keys only: a unit such as `constructor` must not find Object.prototype's (NaN MiB).
  const factor = Object.hasOwn(UNIT_BYTES, q.unit) ? UNIT_BYTES[q.unit] : undefined;
  return factor === undefined ? null : (q.n * factor) / 1024 ** 2;
}

function count(value: string): number | null {
  const q = quantity(value);
  return q && q.unit === '' ? q.n : null;
}

/** Legacy amdgpu memory lines: `vram mem:`, `gtt mem:`, `cpu mem:`. */
const LEGACY_MEMORY = /^(\w+) mem$/;

/** Memory keys in order of preference: what is actually in memory beats what was allocated. */
const MEMORY_PREFIXES = ['drm-resident-', 'drm-total-', 'drm-memory-'] as const;

/**
 * Parses one fdinfo text. Returns null when the fd is not a DRM client (a socket, a file, a DRM fd of a
 * driver that prints no usage stats). Keys are matched after trimming, so tab- and space-separated
 * output (the kernel writes `key:\tvalue`; pasted copies often have spaces) parse the same.
 */
export function parseFdinfo(text: string): DrmFdinfo | null {
  let driver: string | null = null;
  let pdev: string | null = null;
  let clientId: string | null = null;
  let pasid: string | null = null;
  let legacyPdev: string | null = null;
  const engines: Record<string, number> = {};
  const capacity: Record<string, number> = {};
  const cycles: Record<string, number> = {};
  const totalCycles: Record<string, number> = {};
  const legacyPercent: Record<string, number> = {};
  // Per region, the value of each memory key seen, so preference does not depend on line order.
  // No prototype: a region named `__proto__` or `toString` would otherwise hand back
  // Object.prototype or a built-in function, and the slot write below would pollute it.
  const memoryByKind: Record<string, Partial<Record<(typeof MEMORY_PREFIXES)[number], number>>> = Object.create(null);

  const setMemory = (kind: (typeof MEMORY_PREFIXES)[number], region: string, value: string): void => {
    const v = mib(value);
    if (v === null || region === '') return;
    const slot = memoryByKind[region] ?? {};
    slot[kind] = v;
    memoryByKind[region] = slot;
  };

  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();

    if (key === 'drm-driver') driver = value || null;
    else if (key === 'drm-pdev') pdev = value || null;
    else if (key === 'drm-client-id') clientId = value || null;
    else if (key === 'pasid') pasid = value || null;
    else if (key === 'pdev') legacyPdev = value || null;
    else if (key.startsWith('drm-engine-capacity-')) {
      const n = count(value);
      if (n !== null && n > 0) capacity[key.slice('drm-engine-capacity-'.length)] = n;
    } else if (key.startsWith('drm-engine-')) {
      const q = quantity(value);
      if (q && (q.unit === 'ns' || q.unit === '')) engines[key.slice('drm-engine-'.length)] = q.n;
    } else if (key.startsWith('drm-total-cycles-')) {
      const n = count(value);
      if (n !== null) totalCycles[key.slice('drm-total-cycles-'.length)] = n;
    } else if (key.startsWith('drm-cycles-')) {
      const n = count(value);
      if (n !== null) cycles[key.slice('drm-cycles-'.length)] = n;
    } else if (key.startsWith('drm-')) {
      for (const prefix of MEMORY_PREFIXES) {
        if (key.startsWith(prefix)) {
          setMemory(prefix, key.slice(prefix.length), value);
          break;
        }
      }
    } else {
      const legacyMem = LEGACY_MEMORY.exec(key);
      if (legacyMem?.[1]) setMemory('drm-memory-', legacyMem[1], value);
      else if (value.endsWith('%')) {
        const n = Number(value.slice(0, -1).trim());
        if (Number.isFinite(n)) legacyPercent[key] = n;
      }
    }
  }

  const isLegacyAmdgpu = driver === null && legacyPdev !== null && pasid !== null;
  if (isLegacyAmdgpu) {
    driver = 'amdgpu';
    pdev = legacyPdev;
  }
  if (driver === null) return null;

  const memory: Record<string, number> = {};
  for (const [region, byKind] of Object.entries(memoryByKind)) {
    const v = byKind['drm-resident-'] ?? byKind['drm-total-'] ?? byKind['drm-memory-'];
    if (v !== undefined) memory[region] = v;
  }

  return {
    driver,
    pdev,
    clientId: clientId ?? (driver === 'amdgpu' ? pasid : null),
    engines,
    capacity,
    cycles,
    totalCycles,
    memory,
    legacyPercent: isLegacyAmdgpu ? legacyPercent : {},
  };
}

/**
 * Regions that live in the GPU's own memory. amdgpu and xe call it `vram`/`vram0`, discrete i915 `local0`;
 * stolen memory is a firmware carve-out, not something a process allocates on purpose.
 */
const DEVICE_LOCAL_REGION = /^(vram|local)\d*$/;

/**
 * The one memory figure shown for a client: its dedicated GPU memory when the driver has such a region,
 * else everything it holds (an integrated GPU's only memory is system memory, so that is its GPU memory).
 * Null when the driver prints no memory stats.
 */
export function clientMemoryMiB(info: DrmFdinfo): number | null {
  const regions = Object.entries(info.memory);
  if (regions.length === 0) return null;
  const local = regions.filter(([name]) => DEVICE_LOCAL_REGION.test(name));
  const chosen = local.length > 0 ? local : regions;
  return chosen.reduce((sum, [, v]) => sum + v, 0);
}
