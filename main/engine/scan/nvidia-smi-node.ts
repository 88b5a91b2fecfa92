/**
 * The scan's `nvidia-smi -q -x` snapshot through the `node-nvidia-smi` package (issue 6), with our
 * own reader (gpu/nvidia/xml-parse.ts) as the fallback and cross-check.
 *
 * What the package does: `exec('nvidia-smi -q -x')`, a FIXED command string (no process-derived
 * text ever reaches that shell), then xml2js `parseString` with `explicitArray: false, trim: true`.
 * It fails when the tool exits non-zero, prints anything on stderr, or prints something that is
 * not XML. It takes no timeout and does not expose its child process, so it cannot be killed from
 * here: the hard timeout below (Promise.race) lets the scan move on, and a hung nvidia-smi is left
 * to exit on its own (its output, should it come, is dropped).
 */
import nvidiaSmi from 'node-nvidia-smi';
import { parseSmiNumber, parseSmiText, busiest } from '../platform/nvidia/smi-values.js';
import { parseNvidiaSmiXml, type SmiXmlGpu, type SmiXmlLog, type SmiXmlProcess } from '../platform/nvidia/xml-parse.js';
import { findOnPath } from '../util/exec.js';

export type NvidiaSmiLogResult =
  | { ok: true; log: SmiXmlLog; via: 'node-nvidia-smi' | 'built-in parser'; note?: string }
  | { ok: false; reason: string; timedOut?: boolean };

/** Produces a parsed `nvidia-smi -q -x` snapshot within `timeoutMs`, or says why it cannot. */
export type NvidiaSmiLogSource = (timeoutMs: number) => Promise<NvidiaSmiLogResult>;

/** The package's one function (replaceable in tests). */
export type NodeNvidiaSmiCall = (callback: (err: Error | string | null, data?: unknown) => void) => void;

export const NOT_ON_PATH = 'nvidia-smi not found on PATH (no NVIDIA driver tools installed)';

type Outcome = { kind: 'data'; data: unknown } | { kind: 'error'; message: string } | { kind: 'timeout' };

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 200);
}

function errorText(err: unknown): string {
  if (typeof err === 'string') return `it printed on stderr: ${firstLine(err) || '(blank)'}`;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException & { code?: unknown }).code;
    // exec's message is "Command failed: nvidia-smi -q -x\n<stderr>"; the exit code says more.
    if (typeof code === 'number') return `nvidia-smi -q -x exited with code ${code}`;
    return firstLine(err.message) || err.name;
  }
  return String(err);
}

/**
 * Runs the package once with a hard timeout. Never rejects. The callback may never come (a hung
 * tool); the timer then wins and the package's child is left behind, as the header says.
 */
export function callNodeNvidiaSmi(timeoutMs: number, call: NodeNvidiaSmiCall = nvidiaSmi): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });
  const run = new Promise<Outcome>((resolve) => {
    try {
      call((err, data) => resolve(err ? { kind: 'error', message: errorText(err) } : { kind: 'data', data }));
    } catch (e) {
      resolve({ kind: 'error', message: errorText(e) });
    }
  });
  return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// xml2js object -> SmiXmlLog (the same shape our own parser produces)
// ---------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only: nothing inherited (a polluted prototype) is ever read. */
function own(o: unknown, key: string): unknown {
  return isObj(o) && Object.hasOwn(o, key) ? o[key] : undefined;
}

/** explicitArray:false gives one child as a value and several as an array. */
function many(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** An element's text: a string, or `_` when it also has attributes; undefined otherwise. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const t = own(v, '_');
  return typeof t === 'string' ? t : undefined;
}

function one(v: unknown): unknown {
  // Where the document repeats an element that should be single, the first one counts (as in our parser).
  return Array.isArray(v) ? v[0] : v;
}

function childText(el: unknown, name: string): string | undefined {
  const t = text(one(own(el, name)));
  return t === undefined ? undefined : t.trim();
}

function childNumber(el: unknown, name: string): number | null {
  return parseSmiNumber(childText(el, name)) ?? null;
}

function wholeNumber(t: string | undefined): number | null {
  return t !== undefined && /^\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : null;
}

/**
 * Converts node-nvidia-smi's object to the reader's SmiXmlLog. Throws when it is not an
 * nvidia_smi_log document. Only direct children of each `<gpu>` are read (MIG nests its own
 * memory blocks), exactly as parseNvidiaSmiXml does.
 */
export function smiLogFromXml2js(data: unknown): SmiXmlLog {
  const root = own(data, 'nvidia_smi_log');
  if (!isObj(root)) {
    const names = isObj(data) ? Object.keys(data) : [];
    throw new Error(`root element is ${names.length > 0 ? `<${names[0]}>` : 'missing'}, not <nvidia_smi_log>`);
  }
  const gpus = many(own(root, 'gpu')).map((gpu, position): SmiXmlGpu => {
    const fb = one(own(gpu, 'fb_memory_usage'));
    const utilization = one(own(gpu, 'utilization'));
    const utilGpu = childNumber(utilization, 'gpu_util');
    const utilEncoder = childNumber(utilization, 'encoder_util');
    const utilDecoder = childNumber(utilization, 'decoder_util');
    const utilJpeg = childNumber(utilization, 'jpeg_util');
    const utilOfa = childNumber(utilization, 'ofa_util');
    const processes: SmiXmlProcess[] = [];
    for (const p of many(own(one(own(gpu, 'processes')), 'process_info'))) {
      const pid = wholeNumber(childText(p, 'pid'));
      if (pid === null) continue;
      processes.push({
        pid,
        type: parseSmiText(childText(p, 'type')),
        name: childText(p, 'process_name') ?? '',
        usedMemoryMiB: childNumber(p, 'used_memory'),
      });
    }
    const id = own(own(gpu, '$'), 'id');
    return {
      position,
      busId: typeof id === 'string' ? id : null,
      uuid: parseSmiText(childText(gpu, 'uuid')),
      name: parseSmiText(childText(gpu, 'product_name')),
      minorNumber: wholeNumber(childText(gpu, 'minor_number')),
      memoryTotalMiB: childNumber(fb, 'total'),
      memoryUsedMiB: childNumber(fb, 'used'),
      utilGpu,
      utilEncoder,
      utilDecoder,
      utilJpeg,
      utilOfa,
      util: busiest([utilGpu, utilEncoder, utilDecoder, utilJpeg, utilOfa]),
      migEnabled: childText(one(own(gpu, 'mig_mode')), 'current_mig') === 'Enabled',
      processes,
    };
  });
  return {
    driverVersion: parseSmiText(childText(root, 'driver_version')),
    cudaVersion: parseSmiText(childText(root, 'cuda_version')),
    attachedGpus: wholeNumber(childText(root, 'attached_gpus')),
    gpus,
  };
}

// ---------------------------------------------------------------------------------------------
// The default source: the package first, our reader when the package cannot make sense of it
// ---------------------------------------------------------------------------------------------

export interface NodeNvidiaSmiSourceOptions {
  /** PATH to look nvidia-smi up in (default the process's). The package's shell uses process.env.PATH. */
  path?: string;
  call?: NodeNvidiaSmiCall;
  /** The built-in runner + parser, used when the package fails for a reason other than a timeout. */
  fallback?: (timeoutMs: number) => Promise<{ ok: true; xml: string } | { ok: false; reason: string }>;
}

/**
 * `nvidia-smi -q -x` through node-nvidia-smi. When the package fails for any reason but a
 * timeout (stderr warnings it treats as fatal, an exit code, XML it cannot read, a shape we do
 * not expect), the snapshot is taken again with our own runner and parser: a tool that works
 * for one reader is not lost to the other, and when neither can read it the reason names both.
 * A timeout is not retried: a hung nvidia-smi would hang again.
 */
export function nodeNvidiaSmiSource(opts: NodeNvidiaSmiSourceOptions = {}): NvidiaSmiLogSource {
  return async (timeoutMs) => {
    const path = opts.path ?? process.env.PATH ?? process.env.Path ?? '';
    if (!findOnPath('nvidia-smi', path)) return { ok: false, reason: NOT_ON_PATH };
    const started = Date.now();
    const r = await callNodeNvidiaSmi(timeoutMs, opts.call);
    if (r.kind === 'timeout') {
      return {
        ok: false,
        timedOut: true,
        reason: `nvidia-smi -q -x did not answer within ${timeoutMs} ms; the scan went on without it (node-nvidia-smi cannot stop its child, which is left to exit on its own)`,
      };
    }
    let pkgProblem: string;
    if (r.kind === 'data') {
      try {
        return { ok: true, log: smiLogFromXml2js(r.data), via: 'node-nvidia-smi' };
      } catch (e) {
        pkgProblem = (e as Error).message;
      }
    } else {
      pkgProblem = r.message;
    }
    if (!opts.fallback) return { ok: false, reason: `node-nvidia-smi: ${pkgProblem}` };
    const left = Math.max(1000, timeoutMs - (Date.now() - started));
    const again = await opts.fallback(left);
    if (!again.ok) return { ok: false, reason: `node-nvidia-smi: ${pkgProblem}; built-in reader: ${again.reason}` };
    try {
      return {
        ok: true,
        log: parseNvidiaSmiXml(again.xml),
        via: 'built-in parser',
        note: `node-nvidia-smi could not read it (${pkgProblem})`,
      };
    } catch (e) {
      return {
        ok: false,
        reason: `its output could not be read (node-nvidia-smi: ${pkgProblem}; built-in parser: ${(e as Error).message})`,
      };
    }
  };
}
