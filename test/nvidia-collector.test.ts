import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuReading } from '../main/engine/platform/gpu.js';
import { NvidiaCollector, type NvidiaCollectorOptions } from '../main/engine/platform/nvidia/nvidia-collector.js';
import { captured, REPO_ROOT } from './captured.js';

// The collector against a fake nvidia-smi (test/fakes/fake-nvidia-smi.cjs) copied into a temp
// dir on PATH. The fake replays real captures or misbehaves as its control file says.

const FAKE = join(REPO_ROOT, 'test', 'fakes', 'fake-nvidia-smi.cjs');
const SYNTHETIC = join(REPO_ROOT, 'test', 'fixtures', 'nvidia-smi');
const DRIVER_FAILED =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";

const pmon = (name: string) => captured('nvidia-smi', 'pmon', name);
const csv = (name: string) => captured('nvidia-smi', 'csv', name);
const H200 = {
  FAKE_SMI_QUERY_GPU: csv('nvge-linux-h200-drv590.48.01-query-gpu-allfields-load.csv'),
  FAKE_SMI_PMON: pmon('nvge-linux-h200-drv590.48.01-pmon-c5-load.txt'),
  FAKE_SMI_PMON_FRAMES: '5',
  FAKE_SMI_COMPUTE_APPS: csv('nvge-linux-h200-drv590.48.01-query-compute-apps-load.csv'),
};

/** Short periods keep the suite fast; the fake prints a pmon frame every 100 ms. */
const FAST: NvidiaCollectorOptions = {
  intervalMs: 100,
  staleAfterMs: 1200,
  restartBackoffMs: { initial: 100, max: 400 },
  procMemoryRefreshMs: 300,
  probeTimeoutMs: 2000,
};

interface Fake {
  env: NodeJS.ProcessEnv;
  setMode(mode: string): void;
  invocations(): string[];
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function fakeSmi(vars: Record<string, string>, mode = 'replay', withTool = true): Fake {
  const dir = mkdtempSync(join(tmpdir(), 'idlewatch-nvsmi-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  if (withTool) {
    copyFileSync(FAKE, join(bin, 'nvidia-smi'));
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
  }
  const control = join(dir, 'control');
  const log = join(dir, 'invocations.log');
  writeFileSync(control, mode);
  writeFileSync(log, '');
  return {
    // The fake's `#!/usr/bin/env node` needs node on PATH; nothing else is.
    env: {
      ...process.env,
      PATH: [bin, dirname(process.execPath)].join(delimiter),
      FAKE_SMI_CONTROL: control,
      FAKE_SMI_LOG: log,
      FAKE_SMI_PMON_MS: '100',
      ...vars,
    },
    setMode: (m) => writeFileSync(control, m),
    invocations: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}

function collector(fake: Fake, extra: NvidiaCollectorOptions = {}): NvidiaCollector {
  const c = new NvidiaCollector({ ...FAST, env: fake.env, ...extra });
  cleanups.push(() => c.stop());
  return c;
}

/** sample() must answer from memory: well under the 100 ms interval, whatever nvidia-smi does. */
async function promptSample(c: NvidiaCollector): Promise<GpuReading> {
  const t0 = performance.now();
  const reading = await c.sample(Date.now());
  expect(performance.now() - t0).toBeLessThan(50);
  return reading;
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(process.platform === 'win32')('NvidiaCollector without a working nvidia-smi', () => {
  it('(f) none on PATH: unavailable with the install hint, empty prompt samples', async () => {
    const fake = fakeSmi({}, 'replay', false);
    const c = collector(fake);
    const reason = 'nvidia-smi not found on PATH: install the NVIDIA driver to see GPU use';
    expect(await c.available()).toEqual({ ok: false, reason });
    await c.start();
    expect(c.status()).toEqual({
      id: 'gpu.nvidia',
      label: 'NVIDIA GPUs (nvidia-smi)',
      health: 'unavailable',
      detail: reason,
    });
    expect(await promptSample(c)).toEqual({ devices: [], procs: [] });
  });

  it('(b) hangs: available() gives up after 3000 ms by default; start() never blocks sample()', async () => {
    const fake = fakeSmi({}, 'hang');
    const probe = new NvidiaCollector({ env: fake.env });
    const t0 = Date.now();
    expect(await probe.available()).toEqual({ ok: false, reason: 'nvidia-smi did not answer within 3000 ms' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - t0).toBeLessThan(4500);

    const c = collector(fake, { probeTimeoutMs: 400 });
    const starting = c.start();
    expect(await promptSample(c)).toEqual({ devices: [], procs: [] });
    await starting;
    expect(c.status()).toMatchObject({ health: 'unavailable', detail: 'nvidia-smi did not answer within 400 ms' });
    expect(await promptSample(c)).toEqual({ devices: [], procs: [] });
  });

  it('(c) prints garbage: unavailable, quoting the first 80 characters', async () => {
    const fake = fakeSmi({}, 'garbage');
    const c = collector(fake);
    const reason =
      'nvidia-smi printed output Idlewatch could not parse: Welcome to FakeGPU Tool v0.1! There is nothing here you would want to parse.';
    expect(await c.available()).toEqual({ ok: false, reason });
    await c.start();
    expect(c.status()).toMatchObject({ health: 'unavailable', detail: reason });
    expect(await promptSample(c)).toEqual({ devices: [], procs: [] });
  });
});

describe.skipIf(process.platform === 'win32')(`NvidiaCollector replaying captures`, () => {
  it('(a) H200: device load from the -lms loop, gpu_burn at 99 % from pmon, memory from compute-apps', async () => {
    const fake = fakeSmi(H200);
    const c = collector(fake);
    expect(await c.available()).toEqual({ ok: true, detail: '1 NVIDIA GPU: NVIDIA H200' });
    await c.start();
    await waitFor(
      async () => (await c.sample(Date.now())).procs.some((p) => p.pid === 10309 && p.memMiB === 28234),
      5000,
      'gpu_burn with memory',
    );
    const reading = await promptSample(c);
    expect(reading.devices).toEqual([
      { id: '0', vendor: 'nvidia', name: 'NVIDIA H200', memoryMiB: 143771, util: 100, memUsedMiB: 32362 },
    ]);
    const burn = reading.procs.find((p) => p.pid === 10309);
    expect(burn).toMatchObject({ gpuId: '0', name: 'gpu_burn', kind: 'C', memMiB: 28234 });
    expect([79, 99]).toContain(burn?.util);
    expect(reading.procs.find((p) => p.pid === 10293)).toMatchObject({ memMiB: 1542, name: 'memhog' });
    expect(c.status()).toMatchObject({
      health: 'ok',
      detail: '1 GPU: NVIDIA H200; process memory from nvidia-smi --query-compute-apps',
    });
    const runs = fake.invocations();
    expect(runs).toContain('pmon -d 1 -s um');
    expect(runs).toContain(
      '--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,utilization.encoder,utilization.decoder,utilization.jpeg,utilization.ofa --format=csv,noheader,nounits -lms 100',
    );
    expect(runs).toContain('--query-compute-apps=pid,used_memory,gpu_uuid --format=csv,noheader,nounits');
    // One of each long-lived child, not one per tick.
    expect(runs.filter((r) => r.startsWith('pmon'))).toHaveLength(1);
    expect(runs.filter((r) => r.includes('-lms'))).toHaveLength(1);
  });

  it('(a) four GPUs with the fb column: memory from pmon itself, no compute-apps queries', async () => {
    const fake = fakeSmi({
      FAKE_SMI_QUERY_GPU: join(SYNTHETIC, 'synthetic-4gpu-query-gpu.csv'),
      FAKE_SMI_PMON: pmon('candy-top-skynet2-drv595.91.07-pmon-c1-sum.txt'),
    });
    const c = collector(fake);
    await c.start();
    await waitFor(async () => (await c.sample(Date.now())).procs.length === 6, 5000, 'six processes');
    const reading = await promptSample(c);
    expect(reading.devices.map((d) => [d.id, d.util])).toEqual([
      ['0', 92],
      ['1', 91],
      ['2', 99],
      ['3', 64], // the decoder, busier than 3D (3 %)
    ]);
    expect(reading.procs).toContainEqual({
      pid: 2094147,
      gpuId: '0',
      util: 92,
      memMiB: 90480,
      name: 'sglang::schedul',
      kind: 'C',
    });
    expect(reading.procs.filter((p) => p.pid === 377306).map((p) => [p.gpuId, p.memMiB])).toEqual([
      ['2', 550],
      ['3', 550],
    ]);
    expect(c.status()).toMatchObject({ health: 'ok' });
    expect(fake.invocations().some((r) => r.startsWith('--query-compute-apps'))).toBe(false);
  });

  it('(a) Windows stream with headers repeated mid-frame: every sample holds a whole frame', async () => {
    const fake = fakeSmi({
      FAKE_SMI_QUERY_GPU: csv('nvge-windows-rtx2080super-drv610.62-query-gpu-allfields-load.csv'),
      FAKE_SMI_PMON: pmon('nvge-windows-rtx2080super-drv610.62-pmon-c5-load.txt'),
      FAKE_SMI_PMON_FRAMES: '5',
      FAKE_SMI_COMPUTE_APPS: csv('nvge-windows-rtx2080super-drv610.62-query-compute-apps-load.csv'),
    });
    const c = collector(fake);
    await c.start();
    await waitFor(async () => (await c.sample(Date.now())).procs.length > 0, 5000, 'first frame');
    const seen = new Set<number | null>();
    for (let i = 0; i < 12; i++) {
      const reading = await promptSample(c);
      expect(reading.procs).toHaveLength(21);
      seen.add(reading.procs.find((p) => p.pid === 12940)?.util ?? null);
      await new Promise((r) => setTimeout(r, 60));
    }
    // Successive frames really were read (ffmpeg's encoder load changes between periods).
    expect(seen.size).toBeGreaterThan(1);
    const reading = await promptSample(c);
    expect(reading.devices[0]).toMatchObject({ name: 'NVIDIA GeForce RTX 2080 SUPER', util: 99, memUsedMiB: 1366 });
    // WDDM reports no per-process memory: null, never 0.
    expect(reading.procs.every((p) => p.memMiB === null)).toBe(true);
  });

  it('(a) an older driver rejecting utilization.jpeg: falls back to a smaller field set; pre-550 pmon', async () => {
    const fake = fakeSmi({
      FAKE_SMI_QUERY_GPU: join(SYNTHETIC, 'synthetic-3gpu-no-jpeg-ofa-query-gpu.csv'),
      FAKE_SMI_PMON: pmon('sonar-issue170-drv545.23.08-pmon-c1-su.txt'),
    });
    const c = collector(fake);
    await c.start();
    await waitFor(async () => (await c.sample(Date.now())).procs.length === 6, 5000, 'six processes');
    const reading = await promptSample(c);
    expect(reading.devices).toEqual([
      { id: '0', vendor: 'nvidia', name: 'NVIDIA A100-PCIE-40GB', memoryMiB: 40960, util: 88, memUsedMiB: 30125 },
      { id: '1', vendor: 'nvidia', name: 'NVIDIA A100-PCIE-40GB', memoryMiB: 40960, util: 92, memUsedMiB: 29870 },
      // [Not Supported] / [N/A] everywhere: not measurable, not 0.
      { id: '2', vendor: 'nvidia', name: 'NVIDIA A100-PCIE-40GB', memoryMiB: 40960, util: null, memUsedMiB: 31002 },
    ]);
    expect(reading.procs.filter((p) => p.pid === 1174916).map((p) => [p.gpuId, p.util])).toEqual([
      ['0', 88],
      ['1', 92],
      ['2', 89],
    ]);
    const loops = fake.invocations().filter((r) => r.includes('-lms'));
    expect(loops).toEqual([
      '--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,utilization.encoder,utilization.decoder --format=csv,noheader,nounits -lms 100',
    ]);
    expect(fake.invocations()[0]).toContain('utilization.jpeg');
  });

  it('(a) pmon not supported (vGPU): process memory from -q -x, pmon not retried, ok with a note', async () => {
    const fake = fakeSmi(
      { ...H200, FAKE_SMI_XML: captured('nvidia-smi', 'xml', 'telegraf-tesla-t4.xml') },
      'pmon-unsupported',
    );
    const c = collector(fake);
    await c.start();
    await waitFor(async () => (await c.sample(Date.now())).procs.length === 2, 5000, 'XML processes');
    const reading = await promptSample(c);
    expect(reading.procs).toEqual([
      { pid: 675, gpuId: '0', util: null, memMiB: 22, name: '/usr/lib/xorg/Xorg', kind: 'G' },
      { pid: 5762, gpuId: '0', util: null, memMiB: 1005, name: 'python', kind: 'C' },
    ]);
    expect(c.status()).toMatchObject({
      health: 'ok',
      detail:
        '1 GPU: NVIDIA H200; per-process GPU load is not measurable here (nvidia-smi pmon: Not supported on the device(s)); process memory from nvidia-smi -q -x',
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.invocations().filter((r) => r.startsWith('pmon'))).toHaveLength(1);
  });

  it('(d) driver not loaded: unavailable with its first line; works once the driver answers', async () => {
    const fake = fakeSmi(H200, 'fail');
    const c = collector(fake);
    const reason = `NVIDIA driver not loaded: ${DRIVER_FAILED}`;
    expect(await c.available()).toEqual({ ok: false, reason });
    await c.start();
    expect(c.status()).toMatchObject({ health: 'unavailable', detail: reason });
    expect(await promptSample(c)).toEqual({ devices: [], procs: [] });
    fake.setMode('replay');
    await waitFor(() => c.status().health === 'ok', 5000, 're-probe to succeed');
    await waitFor(async () => (await c.sample(Date.now())).procs.length > 0, 5000, 'processes');
  });

  it('(e) dies mid-stream: degraded with the reason, prompt empty samples, recovers when it works again', async () => {
    const fake = fakeSmi(H200);
    const c = collector(fake);
    await c.start();
    await waitFor(async () => (await c.sample(Date.now())).procs.length === 3, 5000, 'first frames');
    expect(c.status().health).toBe('ok');

    fake.setMode('die');
    await waitFor(() => c.status().health === 'degraded', 3000, 'degraded');
    // Both children died of the driver and say so, whether caught waiting to restart or just restarted.
    await waitFor(
      () => {
        const { health, detail } = c.status();
        return (
          health === 'degraded' &&
          detail.includes(`nvidia-smi exited with code 9: ${DRIVER_FAILED}`) &&
          detail.includes(`nvidia-smi pmon exited with code 9: ${DRIVER_FAILED}`)
        );
      },
      3000,
      'both failures reported',
    );
    expect(c.status().detail).not.toContain('could not parse');
    const down = await promptSample(c);
    expect(down.procs).toEqual([]);
    expect(down.devices).toEqual([
      { id: '0', vendor: 'nvidia', name: 'NVIDIA H200', memoryMiB: 143771, util: null, memUsedMiB: null },
    ]);

    fake.setMode('replay');
    await waitFor(() => c.status().health === 'ok', 5000, 'recovery');
    await waitFor(async () => (await c.sample(Date.now())).procs.length === 3, 3000, 'frames again');
    expect((await promptSample(c)).devices[0]?.util).toBe(100);
  });

  it('goes silent: degraded after the stale limit, ok again when output resumes', async () => {
    const fake = fakeSmi(H200);
    const c = collector(fake);
    await c.start();
    await waitFor(async () => (await c.sample(Date.now())).procs.length === 3, 5000, 'first frames');
    fake.setMode('silent');
    await waitFor(() => c.status().detail.includes('pmon printed no readings'), 3000, 'pmon stale');
    expect(c.status().health).toBe('degraded');
    expect(c.status().detail).toMatch(/nvidia-smi printed no readings for \d/);
    expect(c.status().detail).toMatch(/nvidia-smi pmon printed no readings for \d/);
    expect((await promptSample(c)).procs).toEqual([]);
    fake.setMode('replay');
    await waitFor(() => c.status().health === 'ok', 5000, 'recovery');
  });

  it('stop() ends the children and sample() is empty afterwards', async () => {
    const fake = fakeSmi(H200);
    const c = collector(fake);
    await c.start();
    await waitFor(async () => (await c.sample(Date.now())).procs.length === 3, 5000, 'first frames');
    await c.stop();
    await c.stop();
    expect(c.status()).toMatchObject({ health: 'unavailable', detail: 'stopped' });
    expect(await promptSample(c)).toEqual({ devices: [], procs: [] });
    const count = fake.invocations().length;
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.invocations(), fake.invocations().join('\n')).toHaveLength(count);
  });
});
