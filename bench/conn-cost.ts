// What live connections add to a full process pass (Linux): LinuxConnTracker.update() timed on
// its own, at the machine's processes plus --extra idle ones and --busy busy processes that each
// hold a TCP connection to a local listener.
//   node out/bench/conn-cost.js [--extra 1000] [--busy 5] [--passes 40] [--refresh MS] [--json FILE]
// --refresh 0 reads the socket tables on every full pass (the worst case).
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { LinuxConnTracker } from '../main/engine/platform/linux/conn-tracker.js';
import { LinuxProcsCollector } from '../main/engine/platform/linux/linux-procs.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const extra = arg('extra', 1000);
const busy = arg('busy', 5);
const passes = arg('passes', 40);
const refreshMs = arg('refresh', 300_000);
const jsonIdx = process.argv.indexOf('--json');
const jsonOut = jsonIdx >= 0 ? process.argv[jsonIdx + 1] : undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sockets: Socket[] = [];
const server = createServer((s) => {
  sockets.push(s);
  s.on('error', () => undefined);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as { port: number }).port;
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (let i = 0; i < extra; i++) children.push(spawn('/bin/sleep', ['3600'], { stdio: 'ignore' }));
// Busy but not pegged (20 ms every 100 ms), each with one connection.
for (let i = 0; i < busy; i++) {
  children.push(
    spawn(
      process.execPath,
      [
        '-e',
        `require('net').connect(${port},'127.0.0.1');setInterval(()=>{const e=Date.now()+20;while(Date.now()<e){}},100)`,
      ],
      { stdio: 'ignore' },
    ),
  );
}
await sleep(2000);

const procs = new LinuxProcsCollector();
await procs.start();
const tracker = new LinuxConnTracker({ refreshMs });
const fullMs: number[] = [];
const trackerMs: number[] = [];
let count = 0;
let withConns = 0;
for (let i = 0; i < passes; i++) {
  await sleep(250);
  const c0 = process.cpuUsage();
  const reading = await procs.sample(Date.now(), { full: true });
  const c1 = process.cpuUsage();
  const map = tracker.update(reading.procs, { full: true, watch: [], at: Date.now() });
  const c2 = process.cpuUsage(c1);
  fullMs.push((c1.user + c1.system - c0.user - c0.system) / 1000);
  trackerMs.push((c2.user + c2.system) / 1000);
  count = reading.procs.length;
  withConns = [...map.values()].filter((e) => e.conns.length > 0).length;
}
await procs.stop();
for (const c of children) c.kill('SIGKILL');
for (const s of sockets) s.destroy();
server.close();

const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
const p95 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.95))] ?? 0;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / (v.length || 1);
const stats = tracker.stats();
const result = {
  processes: count,
  busyConnected: busy,
  processesWithConnections: withConns,
  fullProcessPassCpuMs: { median: med(fullMs), p95: p95(fullMs), mean: mean(fullMs) },
  connTrackerCpuMs: { median: med(trackerMs), p95: p95(trackerMs), mean: mean(trackerMs) },
  tracker: stats,
  perPass: {
    candidates: stats.candidates / stats.fullPasses,
    walks: stats.walks / stats.fullPasses,
    tableReads: stats.tableReads / stats.fullPasses,
  },
};
const f = (n: number) => n.toFixed(3);
console.log(
  `processes: ${count} (${extra} extra idle, ${busy} busy with a connection), ${passes} full passes, tables refreshed every ${refreshMs} ms at most`,
);
console.log('                         CPU ms per full pass (median / p95 / mean)');
console.log(
  `full process pass        ${f(result.fullProcessPassCpuMs.median)} / ${f(result.fullProcessPassCpuMs.p95)} / ${f(result.fullProcessPassCpuMs.mean)}`,
);
console.log(
  `connection tracker       ${f(result.connTrackerCpuMs.median)} / ${f(result.connTrackerCpuMs.p95)} / ${f(result.connTrackerCpuMs.mean)}`,
);
console.log(
  `per pass: ${result.perPass.candidates.toFixed(1)} processes looked at, ${result.perPass.walks.toFixed(1)} fd tables walked, ${result.perPass.tableReads.toFixed(1)} table sets read; ${withConns} processes with connections`,
);
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
