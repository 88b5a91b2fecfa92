import type { Engine } from '../engine/index.js';
import { pad } from './format.js';

/** `idlewatch probe`: which sources work here and, for each that does not, why. */
export async function runProbe(engine: Engine, json: boolean, out: NodeJS.WritableStream): Promise<number> {
  const entries = await engine.probe();
  if (json) {
    out.write(`${JSON.stringify({ platform: engine.platform, sources: entries }, null, 2)}\n`);
    return 0;
  }
  out.write(`Idlewatch probe (${engine.platform}, ${engine.cpuCores} logical cores)\n\n`);
  const groups: [string, string][] = [
    ['processes', 'Processes'],
    ['cpu', 'System CPU'],
    ['gpu', 'GPUs'],
    ['idle', 'Idle detection (first working source is used)'],
    ['fullscreen', 'Fullscreen app (a game counts as presence; notifications wait)'],
    ['gamepad', 'Gamepad input (counts as presence)'],
    ['dns', 'DNS resolver cache (an address looked up as a mining domain is pool evidence)'],
  ];
  for (const [kind, title] of groups) {
    out.write(`${title}\n`);
    const list = entries.filter((e) => e.kind === kind);
    if (list.length === 0) out.write('  (no source for this platform)\n');
    for (const e of list) {
      const mark = e.availability.ok ? 'works  ' : 'no     ';
      const why = e.availability.ok ? (e.availability.detail ?? '') : e.availability.reason;
      out.write(`  ${mark}${pad(e.label, 44)} ${why}\n`);
    }
    out.write('\n');
  }
  const idleOk = entries.some((e) => e.kind === 'idle' && e.availability.ok);
  const gpuOk = entries.some((e) => e.kind === 'gpu' && e.availability.ok);
  if (!idleOk) out.write('Idle state will be reported as "unknown": no idle source works on this machine.\n');
  if (!gpuOk) out.write('GPU use will not be measured: no GPU source works on this machine.\n');
  return 0;
}
