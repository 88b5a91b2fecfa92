/** Step 6, GPU inventory: the devices, and which processes use one (the hashes step hashes those). */
import { gpuInventory } from '../gpu-inventory.js';
import { plural, type ScanStep } from './step.js';

export const gpuStep: ScanStep = async (scan, { signal }) => {
  const { options } = scan;
  const deviceUsers = scan.snapshot.procs
    .filter((p) => p.gpuDevices.length > 0)
    .map((p) => ({ pid: p.pid, name: p.name }));
  const gpu = await gpuInventory({
    platform: scan.platform,
    nvidiaSmi: options.nvidiaSmi,
    timeoutMs: options.gpuTimeoutMs,
    sysRoot: options.sysRoot,
    deviceUsers,
    signal,
  });
  scan.gpu = gpu;
  const working = gpu.tools.filter((t) => t.ok);
  return {
    status: working.length > 0 ? 'ok' : 'unavailable',
    detail:
      working.length > 0
        ? `${plural(gpu.devices.length, 'GPU')}, ${plural(gpu.processes.length, 'process', 'processes')} using one`
        : `no GPU tool works here: ${gpu.tools.map((t) => `${t.tool}: ${t.detail}`).join('; ')}`,
  };
};
