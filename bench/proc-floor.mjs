// The floor of a full process pass on this machine (issue 15): the CPU time of opening, reading
// (into one reused buffer) and closing every /proc/PID/stat once, and nothing else.
//   node bench/proc-floor.mjs [PASSES]   (default 20; prints the median pass)
import { openSync, readSync, closeSync, readdirSync } from 'node:fs';
const buf = Buffer.allocUnsafe(4096);
const passes = Number(process.argv[2] ?? 20);
const res = [];
for (let k = 0; k < passes; k++) {
  const c0 = process.cpuUsage();
  let n = 0;
  for (const e of readdirSync('/proc')) {
    const c = e.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const fd = openSync(`/proc/${e}/stat`, 'r');
      readSync(fd, buf, 0, 4096, 0);
      closeSync(fd);
      n++;
    } catch {}
  }
  const u = process.cpuUsage(c0);
  res.push({ n, ms: (u.user + u.system) / 1000, sys: u.system / 1000 });
}
res.sort((a, b) => a.ms - b.ms);
const m = res[Math.floor(res.length / 2)];
console.log(
  `processes ${m.n}: median ${m.ms.toFixed(2)} ms CPU per pass (${m.sys.toFixed(2)} ms kernel), ${((m.ms * 1000) / m.n).toFixed(1)} µs per process; min ${res[0].ms.toFixed(2)} max ${res.at(-1).ms.toFixed(2)}`,
);
