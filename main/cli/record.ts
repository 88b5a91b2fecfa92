import { resolve } from 'node:path';
import { type Engine, TraceEncoder, TraceFileWriter } from '../engine/index.js';
import { safeText } from './format.js';
import { fsReason, outputPathProblem } from './output-path.js';

export interface RecordOptions {
  out: string;
  durationSec: number | null;
  log: NodeJS.WritableStream;
  /** Resolves when the user asks to stop (Ctrl-C). */
  stopSignal: Promise<void>;
}

/**
 * `idlewatch record`: writes a trace (format v1) from the live collectors until the duration ends
 * or the user stops it; the file always ends with a complete line.
 */
export async function runRecord(engine: Engine, opts: RecordOptions): Promise<number> {
  const path = resolve(opts.out);
  // A path the user got wrong is a usage problem (exit 2), found before any collector starts.
  const problem = await outputPathProblem(path);
  if (problem) {
    opts.log.write(`idlewatch record: ${problem}\n`);
    return 2;
  }
  const writer = new TraceFileWriter(path);
  try {
    await writer.ready();
  } catch (e) {
    opts.log.write(`idlewatch record: cannot write ${safeText(path, 300)}: ${fsReason(e)}\n`);
    return 2;
  }
  const sampler = engine.sampler;
  await sampler.init();
  const first = await sampler.tick();
  const encoder = new TraceEncoder({
    startedAtMs: first.at,
    intervalMs: sampler.intervalMs,
    idleThresholdSec: engine.idleThresholdSec,
    platform: engine.platform,
    cpuCores: first.system.cores,
  });
  writer.writeLine(encoder.header(first));
  writer.writeLine(encoder.sample(first));
  let samples = 1;
  let writeError: Error | null = null;

  for (const s of engine.sources()) {
    if (s.health !== 'ok') opts.log.write(`note: ${s.label}: ${s.detail}\n`);
  }
  opts.log.write(
    `recording to ${path} every ${sampler.intervalMs} ms${opts.durationSec !== null ? ` for ${opts.durationSec} s` : ''} (Ctrl-C stops)\n`,
  );

  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const endAt = opts.durationSec !== null ? first.at + opts.durationSec * 1000 : Number.POSITIVE_INFINITY;
  const unsubscribe = sampler.onSample((s) => {
    if (s.at > endAt) {
      finish();
      return;
    }
    try {
      writer.writeLine(encoder.sample(s));
      samples++;
    } catch (e) {
      writeError = e as Error;
      finish();
    }
    if (s.at + sampler.intervalMs > endAt) finish();
  });
  await sampler.start();
  await Promise.race([done, opts.stopSignal]);
  unsubscribe();
  await engine.stop();
  try {
    await writer.close();
  } catch (e) {
    writeError ??= e as Error;
  }
  if (writeError) {
    opts.log.write(`idlewatch record: writing ${safeText(path, 300)} failed: ${fsReason(writeError)}\n`);
    return 1;
  }
  opts.log.write(`wrote ${samples} samples to ${path}\n`);
  return 0;
}
