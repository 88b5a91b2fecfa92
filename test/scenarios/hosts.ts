/**
 * Machines the scenarios run on: desktops and laptops as people own them (core counts, GPU
 * models with their memory, user names), per platform.
 */
import type { Platform, TraceGpu } from '../../shared/trace.js';
import type { Host } from './model.js';
import type { Rng } from './prng.js';

const NVIDIA: readonly [string, number][] = [
  ['NVIDIA GeForce RTX 3060', 12288],
  ['NVIDIA GeForce RTX 3070', 8192],
  ['NVIDIA GeForce RTX 3080', 10240],
  ['NVIDIA GeForce RTX 4070', 12282],
  ['NVIDIA GeForce RTX 4090', 24564],
  ['NVIDIA GeForce GTX 1660 SUPER', 6144],
  ['NVIDIA GeForce RTX 2080 SUPER', 8192],
];
const AMD: readonly [string, number][] = [
  ['AMD Radeon RX 6700 XT', 12272],
  ['AMD Radeon RX 7900 XTX', 24560],
  ['AMD Radeon RX 580 Series', 8192],
];
const INTEL_IGPU = ['Intel(R) UHD Graphics 620', 'Intel(R) Iris(R) Xe Graphics', 'Intel(R) Arc(TM) Graphics'];
const APPLE = ['Apple M1', 'Apple M2 Pro', 'Apple M3 Max', 'Apple M1 Max'];
const USERS = ['ana', 'ben', 'chloe', 'dmitri', 'eve', 'farid', 'gus', 'hana', 'ivan', 'jo', 'kemal', 'lena'];

export type GpuKind = 'nvidia' | 'amd' | 'intel' | 'hybrid' | 'apple';

function nvidia(rng: Rng, index = 0): TraceGpu {
  const [name, mem] = rng.pick(NVIDIA);
  return { id: String(index), vendor: 'nvidia', name, memoryMiB: mem };
}

function drm(vendor: 'amd' | 'intel', rng: Rng, bus: string): TraceGpu {
  if (vendor === 'amd') {
    const [name, mem] = rng.pick(AMD);
    return { id: `drm:0000:${bus}:00.0`, vendor, name, memoryMiB: mem };
  }
  return { id: `drm:0000:${bus}:02.0`, vendor, name: rng.pick(INTEL_IGPU), memoryMiB: null };
}

export interface HostOptions {
  platform: Platform;
  gpu?: GpuKind;
  cores?: number;
  collectsConns?: boolean;
  privileged?: boolean;
}

export function makeHost(rng: Rng, opts: HostOptions): Host {
  const user = rng.pick(USERS);
  const platform = opts.platform;
  const home = platform === 'win32' ? `C:\\Users\\${user}` : platform === 'darwin' ? `/Users/${user}` : `/home/${user}`;
  const gpuKind: GpuKind =
    opts.gpu ??
    (platform === 'darwin'
      ? 'apple'
      : rng.weighted<GpuKind>([
          ['nvidia', 6],
          ['amd', 2],
          ['hybrid', 2],
          ['intel', 1],
        ]));
  let gpus: TraceGpu[];
  switch (gpuKind) {
    case 'nvidia':
      gpus = [nvidia(rng)];
      break;
    case 'amd':
      gpus = platform === 'linux' ? [drm('amd', rng, '03')] : [{ ...drm('amd', rng, '03'), id: '0' }];
      break;
    case 'intel':
      gpus = platform === 'linux' ? [drm('intel', rng, '00')] : [{ ...drm('intel', rng, '00'), id: '0' }];
      break;
    case 'hybrid':
      // A laptop: the integrated GPU drives the desktop, the discrete one waits for work.
      gpus =
        platform === 'linux'
          ? [nvidia(rng), drm('intel', rng, '00')]
          : [nvidia(rng), { ...drm('intel', rng, '00'), id: '1' }];
      break;
    case 'apple':
      gpus = [{ id: '0', vendor: 'apple', name: rng.pick(APPLE), memoryMiB: null }];
      break;
  }
  const cores = opts.cores ?? rng.pick(platform === 'darwin' ? [8, 10, 12] : [4, 8, 8, 12, 16, 16, 24, 32]);
  return {
    platform,
    cpuCores: cores,
    gpus,
    user,
    home,
    collectsConns: opts.collectsConns ?? rng.chance(0.5),
    // Per-process GPU on macOS needs powermetrics (root); most installs see device totals only.
    gpuPerProcess: platform !== 'darwin',
    privileged: opts.privileged ?? rng.chance(0.3),
  };
}

/** The GPU a desktop draws on: the integrated one on a hybrid laptop, else the first. */
export function displayGpu(host: Host): string {
  const igpu = host.gpus.find((g) => g.vendor === 'intel');
  return (igpu ?? host.gpus[0])?.id ?? '0';
}

/** The GPU heavy compute lands on: the discrete one when there is one. */
export function computeGpu(host: Host): string {
  const dgpu = host.gpus.find((g) => g.vendor === 'nvidia' || g.vendor === 'amd');
  return (dgpu ?? host.gpus[0])?.id ?? '0';
}

/** Windows path helpers: the same folders malware and legitimate software both use. */
export function winPaths(host: Host): { appData: string; localAppData: string; temp: string; programData: string } {
  return {
    appData: `${host.home}\\AppData\\Roaming`,
    localAppData: `${host.home}\\AppData\\Local`,
    temp: `${host.home}\\AppData\\Local\\Temp`,
    programData: 'C:\\ProgramData',
  };
}

/** Plausible pool endpoints: documentation address ranges, stratum ports miners really use. */
export function poolConn(rng: Rng, opts: { tls?: boolean } = {}): { proto: string; remote: string; state: string } {
  const port = opts.tls
    ? rng.pick([443, 9000, 14433, 20128])
    : rng.pick([3333, 4444, 5555, 7777, 14444, 10128, 10300, 45700]);
  const ip = rng.pick(['198.51.100', '203.0.113', '192.0.2']).concat(`.${rng.int(2, 250)}`);
  return { proto: 'tcp', remote: `${ip}:${port}`, state: 'ESTABLISHED' };
}

/** An HTTPS connection to some service (browsers, chat, sync clients). */
export function httpsConn(rng: Rng): { proto: string; remote: string; state: string } {
  const ip = rng.pick(['142.250', '151.101', '104.16', '13.107', '52.96', '162.159', '140.82']);
  return { proto: 'tcp', remote: `${ip}.${rng.int(1, 254)}.${rng.int(1, 254)}:443`, state: 'ESTABLISHED' };
}

export const POOL_HOSTS = [
  'pool.supportxmr.com',
  'xmr.2miners.com',
  'gulf.moneroocean.stream',
  'pool.hashvault.pro',
  'xmr-eu1.nanopool.org',
  'rvn.2miners.com',
  'etc.2miners.com',
  'pool.minexmr.com',
  'us-east.ethash-hub.miningpoolhub.com',
  'erg.herominers.com',
];

/** A Monero-style wallet address (95 base58 characters starting with 4 or 8). */
export function xmrWallet(rng: Rng): string {
  const b58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  return rng.pick(['4', '8']) + rng.alnum(94, b58);
}
