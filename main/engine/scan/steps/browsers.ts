/** Step 7, browsers: which processes are browser main processes, renderers, GPU helpers and the like. */
import { browserProcessInfo } from '../browser-roles.js';
import { plural, type ScanStep } from './step.js';

export const browsersStep: ScanStep = async (scan) => {
  const { browsers } = scan;
  for (const p of scan.snapshot.procs) {
    const b = browserProcessInfo(p, scan.platform);
    if (b) browsers.push({ pid: p.pid, name: p.name, ...b, cpuSec: p.cpuSec });
  }
  const mains = browsers.filter((b) => b.role === 'browser').length;
  return {
    status: 'ok',
    detail: `${plural(browsers.length, 'browser process', 'browser processes')} (${mains} main)`,
  };
};
