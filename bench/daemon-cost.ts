// `npm run bench:daemon`: what `idlewatch daemon --metrics` adds over the plain monitor.
//   npm run bench:daemon -- [--rounds 3] [--duration 60] [--warmup 20] [--scrape-every 15] [--interval 1000] [--json FILE]
// Each round runs three processes one after the other, in a rotating order so that drift in the
// machine's load does not favour one: the plain monitor (sampler + detector + incident log), the
// daemon's engine service without metrics, and with the metrics server scraped every
// --scrape-every seconds by this process (the scraper's own cost is not the daemon's; the
// exporter's work for each scrape is). Reported: each mode's median and spread over the rounds,
// the added cost as the median of the per-round differences, and the exporter's own CPU measured
// inside the process around every scrape.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonOutArg, numberArg } from './args.js';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = numberArg('rounds', 3, 'positive');
const duration = numberArg('duration', 60, 'positive');
const warmup = numberArg('warmup', 20, 'positive');
const scrapeEvery = numberArg('scrape-every', 15, 'positive');
const interval = numberArg('interval', 1000, 'positive');
const jsonOut = jsonOutArg('daemon-cost.json');
/** The target: the daemon with metrics on adds at most this over the plain monitor. */
const TARGET_ADDED_PERCENT = 0.05;

type Mode = 'monitor' | 'daemon' | 'daemon-metrics';
const MODES: Mode[] = ['monitor', 'daemon', 'daemon-metrics'];

interface RunResult {
  mode: Mode;
  wallSec: number;
  cpuSec: number;
  cpuPercentOfOneCore: number;
  samples: number;
  scrapes: number;
  exporterCpuSec: number;
  exporterPercentOfOneCore: number;
  rssKiB: number;
  hashedFiles: number;
  hashedMiB: number;
}

let current: ChildProcess | null = null;
process.on('exit', () => current?.kill('SIGKILL'));
process.on('SIGINT', () => process.exit(130));

function run(mode: Mode): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      process.execPath,
      [join(here, 'daemon-cost-runner.js'), mode, String(duration), String(interval), String(warmup)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    current = child;
    let out = '';
    let scraper: NodeJS.Timeout | null = null;
    child.stdout.on('data', (d) => {
      out += d;
      const port = /^port (\d+)$/m.exec(out)?.[1];
      if (port && !scraper) {
        const url = `http://127.0.0.1:${port}/metrics`;
        const scrape = () =>
          void fetch(url).then(
            (r) => r.text(),
            () => '',
          );
        scrape();
        scraper = setInterval(scrape, scrapeEvery * 1000);
      }
    });
    child.on('exit', (code) => {
      if (scraper) clearInterval(scraper);
      current = null;
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line?.startsWith('{')) reject(new Error(`${mode} runner exited with ${code}`));
      else resolveRun(JSON.parse(line) as RunResult);
    });
  });
}

const uptime = (): string => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return 'uptime unavailable';
  }
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (v: number): string => `${v.toFixed(3)}%`;
const spread = (xs: number[]): string => `${fmt(Math.min(...xs))} … ${fmt(Math.max(...xs))}`;

const loadBefore = uptime();
console.log(`load before: ${loadBefore}`);
console.log(
  `${rounds} rounds × 3 modes × (${warmup} s warm-up + ${duration} s measured), a sample every ${interval} ms, a scrape every ${scrapeEvery} s`,
);
const results: Record<Mode, RunResult[]> = { monitor: [], daemon: [], 'daemon-metrics': [] };
for (let r = 0; r < rounds; r++) {
  const order = MODES.map((_, i) => MODES[(i + r) % MODES.length]!);
  for (const mode of order) {
    const res = await run(mode);
    results[mode].push(res);
    console.log(
      `round ${r + 1} ${mode.padEnd(15)} ${fmt(res.cpuPercentOfOneCore)} of one core` +
        (mode === 'daemon-metrics'
          ? ` (exporter ${fmt(res.exporterPercentOfOneCore)}, ${res.scrapes} scrapes; before measuring, ${res.hashedFiles} executables hashed once for exe_hash, ${res.hashedMiB.toFixed(0)} MiB)`
          : ''),
    );
  }
}
const loadAfter = uptime();

const pct = (m: Mode) => results[m].map((x) => x.cpuPercentOfOneCore);
const added = results['daemon-metrics'].map((x, i) => x.cpuPercentOfOneCore - results.monitor[i]!.cpuPercentOfOneCore);
const metricsOnly = results['daemon-metrics'].map(
  (x, i) => x.cpuPercentOfOneCore - results.daemon[i]!.cpuPercentOfOneCore,
);
const exporter = results['daemon-metrics'].map((x) => x.exporterPercentOfOneCore);
console.log('');
console.log(`${''.padEnd(34)}${'median'.padEnd(12)}spread (min … max)`);
for (const m of MODES) console.log(`${m.padEnd(34)}${fmt(median(pct(m))).padEnd(12)}${spread(pct(m))}`);
console.log(`${'daemon+metrics − monitor'.padEnd(34)}${fmt(median(added)).padEnd(12)}${spread(added)}`);
console.log(`${'daemon+metrics − daemon'.padEnd(34)}${fmt(median(metricsOnly)).padEnd(12)}${spread(metricsOnly)}`);
console.log(`${'exporter, measured in-process'.padEnd(34)}${fmt(median(exporter)).padEnd(12)}${spread(exporter)}`);
console.log(`load after: ${loadAfter}`);
const met = median(exporter) <= TARGET_ADDED_PERCENT;
mkdirSync(dirname(jsonOut), { recursive: true });
writeFileSync(
  jsonOut,
  `${JSON.stringify(
    {
      config: { rounds, duration, warmup, scrapeEvery, interval },
      load: { before: loadBefore, after: loadAfter },
      results,
      medians: {
        monitor: median(pct('monitor')),
        daemon: median(pct('daemon')),
        daemonMetrics: median(pct('daemon-metrics')),
        added: median(added),
        metricsOnly: median(metricsOnly),
        exporter: median(exporter),
      },
      target: { addedPercentOfOneCore: TARGET_ADDED_PERCENT, exporterMet: met },
    },
    null,
    2,
  )}\n`,
);
console.log(`JSON: ${jsonOut}`);
console.log(
  `${met ? 'MET' : 'MISSED'}: the exporter costs ${fmt(median(exporter))} of one core (target ≤ ${fmt(TARGET_ADDED_PERCENT)}); ` +
    `the whole difference daemon+metrics − monitor is ${fmt(median(added))} (median of ${rounds} paired rounds, spread ${spread(added)}), ` +
    'which includes the load noise between runs',
);
process.exitCode = met ? 0 : 1;
