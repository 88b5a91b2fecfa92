import type { ChildExit } from '../../util/long-lived-child.js';
import { type RunResult, runFile } from '../../util/exec.js';
import { parseQueryGpuLine, QUERY_GPU_FIELD_SETS, type SmiGpuRow } from './csv-parse.js';

/**
 * The one-shot nvidia-smi probe and the sentences a user sees when it fails. Each failure
 * mode gets its own sentence because each has a different fix (install the driver, load
 * it, find out why the tool hangs, report a tool we cannot read).
 */

export const SMI_NOT_FOUND = 'nvidia-smi not found on PATH: install the NVIDIA driver to see GPU use';

export function smiTimeoutReason(timeoutMs: number): string {
  return `nvidia-smi did not answer within ${timeoutMs} ms`;
}

export function smiGarbageReason(output: string): string {
  const shown = output.trim().replace(/\s+/g, ' ').slice(0, 80);
  return `nvidia-smi printed output Idlewatch could not parse: ${shown === '' ? '(no output)' : shown}`;
}

export function smiDriverReason(firstLine: string): string {
  return `NVIDIA driver not loaded: ${firstLine}`;
}

const FIELD_REJECTED = /is not a valid field to query/i;

/** Arguments of a `--query-gpu` run; with `loopMs` it becomes the long-lived `-lms` loop. */
export function queryGpuArgs(fields: readonly string[], loopMs?: number): string[] {
  const args = [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'];
  if (loopMs !== undefined) args.push('-lms', String(Math.max(1, Math.round(loopMs))));
  return args;
}

function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
}

export type QueryGpuOutcome =
  | { ok: true; gpus: SmiGpuRow[] }
  | { ok: false; reason: string; fieldRejected: boolean; notFound: boolean };

/** Turns one `--query-gpu` run into GPUs or the sentence that explains why there are none. */
export function classifyQueryGpuRun(run: RunResult, fields: readonly string[], timeoutMs: number): QueryGpuOutcome {
  const fail = (reason: string, extra: { fieldRejected?: boolean; notFound?: boolean } = {}): QueryGpuOutcome => ({
    ok: false,
    reason,
    fieldRejected: extra.fieldRejected ?? false,
    notFound: extra.notFound ?? false,
  });
  if (run.timedOut) return fail(smiTimeoutReason(timeoutMs));
  if (!run.ok && run.code === null && run.error?.endsWith(' not found')) return fail(SMI_NOT_FOUND, { notFound: true });
  if (!run.ok && run.code === null) return fail(`nvidia-smi could not run: ${run.error ?? 'unknown error'}`);
  const output = `${run.stdout}\n${run.stderr}`;
  if (FIELD_REJECTED.test(output)) {
    const line =
      output
        .split('\n')
        .find((l) => FIELD_REJECTED.test(l))
        ?.trim() ?? '';
    return fail(`nvidia-smi rejected the query: ${line}`, { fieldRejected: true });
  }
  if (!run.ok) {
    // nvidia-smi prints "NVIDIA-SMI has failed because..." on stdout; other tools use stderr.
    const why = firstLine(run.stderr) ?? firstLine(run.stdout) ?? `exit code ${run.code ?? 'unknown'}`;
    return fail(smiDriverReason(why.slice(0, 200)));
  }
  const gpus = run.stdout
    .split('\n')
    .map((l) => parseQueryGpuLine(l, fields))
    .filter((g): g is SmiGpuRow => g !== null);
  if (gpus.length === 0) return fail(smiGarbageReason(run.stdout));
  return { ok: true, gpus };
}

export type ProbeOutcome =
  | { ok: true; fields: readonly string[]; gpus: SmiGpuRow[] }
  | { ok: false; reason: string; notFound: boolean };

export interface ProbeOptions {
  /** Budget for the whole probe, field-set fallbacks included. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs the device query once, stepping down to smaller field sets while the driver rejects
 * fields (old drivers do not know utilization.jpeg/ofa). Never throws.
 */
export async function probeNvidiaSmi(smiPath: string, opts: ProbeOptions): Promise<ProbeOutcome> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: QueryGpuOutcome | undefined;
  for (const fields of QUERY_GPU_FIELD_SETS) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const run = await runFile(smiPath, queryGpuArgs(fields), {
      timeoutMs: left,
      maxBuffer: 1024 * 1024,
      ...(opts.env ? { env: opts.env } : {}),
    });
    // Report the whole budget: the user cares how long nvidia-smi was given, not how it was split.
    last = classifyQueryGpuRun(run, fields, opts.timeoutMs);
    if (last.ok) return { ok: true, fields, gpus: last.gpus };
    if (!last.fieldRejected) return { ok: false, reason: last.reason, notFound: last.notFound };
  }
  if (last && !last.ok) return { ok: false, reason: last.reason, notFound: last.notFound };
  return { ok: false, reason: smiTimeoutReason(opts.timeoutMs), notFound: false };
}

/**
 * Sentence for a long-lived nvidia-smi child that ended. nvidia-smi prints its errors on
 * stdout, so when stderr is empty the last stdout line that is not data is the reason.
 */
export function describeSmiExit(label: string, exit: ChildExit, isData: (line: string) => boolean): string {
  if (exit.spawnError !== undefined) return `${label} could not start: ${exit.spawnError}`;
  if (exit.silentForMs !== undefined)
    return `${label} printed nothing for ${Math.round(exit.silentForMs / 100) / 10} s`;
  const why =
    exit.stderrHead[0] ??
    [...exit.stdoutTail]
      .reverse()
      .map((l) => l.trim())
      .find((l) => l !== '' && !isData(l));
  const suffix = why ? `: ${why.slice(0, 200)}` : '';
  if (exit.signal) return `${label} was killed by ${exit.signal}${suffix}`;
  if (exit.code === 0) return `${label} exited${suffix}`;
  return `${label} exited with code ${exit.code ?? 'unknown'}${suffix}`;
}
