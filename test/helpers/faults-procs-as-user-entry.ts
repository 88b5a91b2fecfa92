/**
 * Bundled by test/faults-collectors.test.ts and run as an unprivileged user: one pass of the real
 * LinuxProcsCollector over the real /proc, plus, for the same processes, an independent count of
 * those whose exe link or command line this user may not read. Prints the result as JSON.
 * Usage: node procs-as-user.mjs PID_TO_REPORT
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { LinuxProcsCollector } from '../../main/engine/platform/linux/linux-procs.js';

function denied(read: () => unknown): boolean {
  try {
    read();
    return false;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM';
  }
}

const target = Number(process.argv[2]);
const collector = new LinuxProcsCollector();
await collector.start();
const reading = await collector.sample(Date.now());
let independent = 0;
for (const p of reading.procs) {
  if (denied(() => readlinkSync(`/proc/${p.pid}/exe`)) || denied(() => readFileSync(`/proc/${p.pid}/cmdline`))) {
    independent++;
  }
}
process.stdout.write(
  JSON.stringify({
    uid: process.getuid?.(),
    unreadable: reading.unreadable,
    independent,
    procs: reading.procs.length,
    status: collector.status(),
    target: reading.procs.find((p) => p.pid === target) ?? null,
  }),
);
await collector.stop();
