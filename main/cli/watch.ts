import type { Incident } from '../../shared/detection.js';
import type { EngineSample, SourceStatus } from '../../shared/engine-types.js';
import type { Monitor } from '../engine/index.js';
import { byGpuThenCpu, displayName, duration, healthMark, pad, pct, safeText } from './format.js';

export interface WatchOptions {
  out: NodeJS.WriteStream;
  input: NodeJS.ReadStream;
  stopSignal: Promise<void>;
}

const SEVERITY_MARK = { high: 'HIGH', medium: 'MED ', low: 'low ' } as const;
const NAME_WIDTH = 20;

/**
 * The heading over the incident list. "While you were away" only when every incident shown
 * used the GPU or CPU while the user was idle or locked: a miner flagged on its signature while
 * the user sat at the machine, or any incident where no idle source works, was not "while away".
 */
export function incidentHeading(shown: Pick<Incident, 'idleGpuSec' | 'idleCpuSec'>[]): string {
  const away = shown.length > 0 && shown.every((i) => i.idleGpuSec > 0 || i.idleCpuSec > 0);
  return away ? 'Suspicious while you were away:' : 'Suspicious processes since watch started:';
}

/** Renders one frame of the live view as lines (pure: exported for tests). */
export function renderFrame(
  sample: EngineSample,
  sources: SourceStatus[],
  width: number,
  rows: number,
  incidents: Incident[] = [],
  lastNotice: string | null = null,
): string[] {
  const lines: string[] = [];
  const u = sample.user;
  const userLine =
    u.state === 'unknown'
      ? 'User: unknown (no idle source works on this machine)'
      : `User: ${u.state}${u.idleSec !== null ? `, no input for ${duration(u.idleSec)}` : ''}${u.source ? ` (via ${u.source})` : ''}`;
  lines.push(`Idlewatch — ${new Date(sample.at).toLocaleTimeString()}   ${userLine}`);
  if (u.inhibitors && u.inhibitors.length > 0)
    lines.push(`Idle inhibited by: ${u.inhibitors.map((i) => safeText(i, 40)).join(', ')}`);
  const gpuText =
    sample.gpus.length === 0
      ? 'GPU: not measured'
      : sample.gpus
          .map(
            (g) =>
              `GPU ${g.id} ${safeText(g.name, 28)} ${pct(g.util)}${g.memUsedMiB !== null ? ` ${g.memUsedMiB}${g.memoryMiB ? `/${g.memoryMiB}` : ''} MiB` : ''}`,
          )
          .join('   ');
  lines.push(`CPU ${pct(sample.system.cpu)} of ${sample.system.cores} cores   ${gpuText}`);
  const problems = sources.filter((s) => s.health !== 'ok' || s.detail.includes('could not'));
  for (const s of problems) lines.push(`${healthMark(s)} ${safeText(`${s.label}: ${s.detail}`, width - 6)}`);
  lines.push(
    `${sample.procs.length} processes, tick ${sample.tickMs.toFixed(1)} ms${sample.unreadable ? `, ${sample.unreadable} could not be read` : ''}`,
  );
  lines.push('');
  const shown = incidents
    .filter((i) => !i.allowlisted)
    .sort((a, b) => b.score - a.score)
    .slice(0, 5);
  if (shown.length > 0) {
    lines.push(incidentHeading(shown));
    for (const i of shown) {
      const why = i.reasons.map((r) => r.detail).join('; ');
      lines.push(
        safeText(
          `  ${SEVERITY_MARK[i.severity]} ${i.pid} ${displayName(i)} (${i.exe ?? 'exe unreadable'}): ${why}`,
          width,
        ),
      );
    }
    lines.push('');
  }
  if (lastNotice) lines.push(safeText(`Last alert: ${lastNotice}`, width));
  const exeWidth = Math.max(10, width - 8 - 10 - 7 - 9 - 7 - (NAME_WIDTH + 1) - 6);
  lines.push('Busy now, by GPU then CPU:');
  lines.push(
    `${pad('PID', 8)}${pad('USER', 10)}${pad('GPU', 7, true)}${pad('GPU MEM', 9, true)}${pad('CPU', 7, true)}  ${pad('NAME', NAME_WIDTH)} EXE`,
  );
  const busy = sample.procs.filter((p) => p.cpu > 0 || (p.gpu ?? 0) > 0 || (p.gpuMemMiB ?? 0) > 0).sort(byGpuThenCpu);
  const room = Math.max(1, rows - lines.length - 2);
  for (const p of busy.slice(0, room)) {
    lines.push(
      `${pad(String(p.pid), 8)}${pad(p.user ?? '?', 10)}${pad(pct(p.gpu), 7, true)}${pad(p.gpuMemMiB !== null ? `${p.gpuMemMiB}M` : '-', 9, true)}${pad(pct(p.cpu), 7, true)}  ${pad(displayName(p), NAME_WIDTH)} ${safeText(p.exe ?? (p.cmdline === '' ? '(kernel thread)' : '(not readable)'), exeWidth)}`,
    );
  }
  if (busy.length === 0) lines.push('(no process used CPU or GPU in the last interval)');
  return lines.map((l) => (l.length > width ? l.slice(0, width) : l));
}

/** `idlewatch watch`: a live view refreshing in place, with incidents; q or Ctrl-C quits. */
export async function runWatch(monitor: Monitor, opts: WatchOptions): Promise<number> {
  const engine = monitor.engine;
  const { out, input } = opts;
  const tty = Boolean(out.isTTY);
  let quit!: () => void;
  const quitting = new Promise<void>((r) => {
    quit = r;
  });
  const onKey = (buf: Buffer): void => {
    const key = buf.toString();
    if (key === 'q' || key === 'Q' || key === '\u0003') quit();
  };
  if (input.isTTY) {
    input.setRawMode(true);
    input.resume();
    input.on('data', onKey);
  }
  if (tty) out.write('\x1b[?1049h\x1b[?25l'); // alternate screen, hide cursor
  let lastNotice: string | null = null;
  for (const p of monitor.problems) out.write(`note: ${safeText(`${p.file}: ${p.problem}`, 300)}\n`);
  const unsubscribe = monitor.on((e) => {
    if (e.type === 'notify') {
      lastNotice = `${new Date(e.notification.t).toLocaleTimeString()} ${e.notification.title}: ${e.notification.body}`;
      if (!tty) out.write(`ALERT ${safeText(lastNotice, 500)}\n`);
      return;
    }
    if (e.type !== 'sample') return;
    const s = e.sample;
    const lines = renderFrame(s, engine.sources(), out.columns || 120, out.rows || 40, monitor.incidents(), lastNotice);
    if (tty) out.write(`\x1b[H\x1b[2J${lines.join('\n')}\n\nq quits`);
    else out.write(`${lines.join('\n')}\n\n`);
  });
  try {
    await monitor.start();
    await Promise.race([quitting, opts.stopSignal]);
  } finally {
    unsubscribe();
    if (input.isTTY) {
      input.off('data', onKey);
      input.setRawMode(false);
      input.pause();
    }
    if (tty) out.write('\x1b[?25h\x1b[?1049l');
    await monitor.stop();
  }
  return 0;
}
