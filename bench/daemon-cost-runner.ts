// One side of `npm run bench:daemon`: runs the plain monitor, the daemon's engine service, or the
// daemon's engine service with the metrics server (scraped by the parent) for a fixed time after a
// warm-up, then prints one JSON line with what it cost. CPU is read from /proc: this process (all
// threads), its reaped children and its live descendants (bench/proc-cpu.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMetricsServer } from '../main/engine/metrics/server.js';
import { Monitor } from '../main/engine/monitor.js';
import { EngineService } from '../main/engine/service/engine-service.js';
import { cpuSeconds } from './proc-cpu.js';

const [mode = 'monitor', durationArg = '60', intervalArg = '1000', warmupArg = '20'] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataDir = mkdtempSync(join(tmpdir(), 'iw-daemon-bench-'));
const intervalMs = Number(intervalArg);
let stop: () => Promise<void>;
let exporterCpuUs = 0;
let scrapes = 0;
let samples = 0;
let hashing: () => { files: number; bytes: number; pending: number } = () => ({ files: 0, bytes: 0, pending: 0 });

if (mode === 'monitor') {
  const monitor = await Monitor.open({ dataDir, settings: { samplingIntervalMs: intervalMs } });
  monitor.on((e) => {
    if (e.type === 'sample') samples++;
  });
  await monitor.start();
  stop = () => monitor.stop();
} else if (mode === 'daemon' || mode === 'daemon-metrics') {
  const service = await EngineService.open({ dataDir, settings: { samplingIntervalMs: intervalMs } });
  service.onEvent((channel) => {
    if (channel === 'engine:sample') samples++;
  });
  await service.start();
  if (mode === 'daemon-metrics') {
    const server = await startMetricsServer(service, { host: '127.0.0.1', port: 0 });
    // The exporter's own time per scrape (collect and serialise), measured directly as well.
    const metrics = server.metrics;
    const render = metrics.metrics.bind(metrics);
    metrics.metrics = async () => {
      const t0 = process.cpuUsage();
      const text = await render();
      const d = process.cpuUsage(t0);
      exporterCpuUs += d.user + d.system;
      scrapes++;
      return text;
    };
    hashing = () => metrics.hashing;
    process.stdout.write(`port ${server.port}\n`);
    stop = async () => {
      await server.close();
      await service.stop();
    };
  } else {
    stop = () => service.stop();
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}

// Warm-up: the first samples, the first scrapes and the exe hashes they ask for are not charged
// (each executable is hashed once for the exe_hash label; the result says how many and how big).
await sleep(Number(warmupArg) * 1000);
for (let waited = 0; hashing().pending > 0 && waited < 300; waited++) await sleep(1000);
const hashed = hashing();
const cpu0 = cpuSeconds('start');
const wall0 = performance.now();
const exporter0 = exporterCpuUs;
const scrapes0 = scrapes;
const samples0 = samples;
await sleep(Number(durationArg) * 1000);
const cpu = cpuSeconds('end') - cpu0;
const wall = (performance.now() - wall0) / 1000;
const result = {
  mode,
  wallSec: wall,
  cpuSec: cpu,
  cpuPercentOfOneCore: (cpu / wall) * 100,
  samples: samples - samples0,
  scrapes: scrapes - scrapes0,
  exporterCpuSec: (exporterCpuUs - exporter0) / 1e6,
  exporterPercentOfOneCore: ((exporterCpuUs - exporter0) / 1e6 / wall) * 100,
  hashedFiles: hashed.files,
  hashedMiB: hashed.bytes / 2 ** 20,
  rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0),
};
await stop();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
