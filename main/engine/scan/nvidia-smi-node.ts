/**
 * The scan's `nvidia-smi -q -x` snapshot as the `node-nvidia-smi` package reads it (issue 6), with
 * our own reader (gpu/nvidia/xml-parse.ts) as the fallback and cross-check.
 *
 * What the package does: `exec('nvidia-smi -q -x')`, a FIXED command string (no process-derived
 * text ever reaches that shell), then xml2js `parseString` with `explicitArray: false, trim: true`.
 * It fails when the tool exits non-zero, prints anything on stderr, or prints something that is
 * not XML. It takes no timeout and never hands out its child process, so a hung nvidia-smi
 * started through it could not be stopped: it would outlive the scan, and every later scan would
 * leave one more behind. That one call is therefore made here the way the package makes it (the
 * same command, the same failure rules, the same xml2js options, from the xml2js the package
 * itself loads), with a timeout after which the child and anything it started are killed
 * (`runLikeNodeNvidiaSmi`). The package's own function is still accepted as `call` (tests).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseSmiNumber, parseSmiText, busiest } from '../platform/nvidia/smi-values.js';
import { parseNvidiaSmiXml, type SmiXmlGpu, type SmiXmlLog, type SmiXmlProcess } from '../platform/nvidia/xml-parse.js';
import { findOnPath } from '../util/exec.js';
import { trackOwnChild } from '../util/own-children.js';

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

/** xml2js's parseString as node-nvidia-smi loads it (resolved from the package's own folder). */
type ParseString = (xml: string, opts: object, cb: (err: Error | null, data: unknown) => void) => void;
let packageParser: ParseString | null = null;
function parseLikeThePackage(xml: string, cb: (err: Error | null, data: unknown) => void): void {
  if (!packageParser) {
    const fromHere = createRequire(import.meta.url);
    const fromPackage = createRequire(fromHere.resolve('node-nvidia-smi/package.json'));
    packageParser = (fromPackage('xml2js') as { parseString: ParseString }).parseString;
  }
  packageParser(xml, { explicitArray: false, trim: true }, cb);
}

/** nvidia-smi prints a few MiB at most for the largest servers; anything past this is not its output. */
const MAX_STDOUT = 64 * 1024 * 1024;
/** How long a killed nvidia-smi gets to be reaped before the scan stops waiting for it. */
const REAP_GRACE_MS = 2000;

/**
 * `nvidia-smi -q -x` exactly as node-nvidia-smi runs and reads it, but started here, without a
 * shell, by the full path found on PATH, in a process group of its own: at `timeoutMs` the whole
 * group is killed (SIGKILL; on Windows the process), and the call answers once it has exited.
 * Never rejects.
 */
export function runLikeNodeNvidiaSmi(exe: string, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const posix = process.platform !== 'win32';
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(exe, ['-q', '-x'], { stdio: ['ignore', 'pipe', 'pipe'], detached: posix, windowsHide: true });
    } catch (e) {
      resolve({ kind: 'error', message: errorText(e) });
      return;
    }
    trackOwnChild(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let tooMuch = false;
    let settled = false;
    const finish = (o: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(reapTimer);
      resolve(o);
    };
    const killAll = (): void => {
      if (posix && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
      }
      child.kill('SIGKILL');
    };
    let reapTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killAll();
      // Answer even if something keeps the pipes open (a grandchild outside the group).
      reapTimer = setTimeout(() => finish({ kind: 'timeout' }), REAP_GRACE_MS);
    }, timeoutMs);
    child.stdout?.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > MAX_STDOUT) {
        tooMuch = true;
        killAll();
      } else out.push(b);
    });
    child.stderr?.on('data', (b: Buffer) => {
      if (errBytes < 64 * 1024) err.push(b);
      errBytes += b.length;
    });
    child.on('error', (e) => finish({ kind: 'error', message: errorText(e) }));
    child.on('close', (code) => {
      if (timedOut) return finish({ kind: 'timeout' });
      if (tooMuch) return finish({ kind: 'error', message: `nvidia-smi -q -x printed more than ${MAX_STDOUT} bytes` });
      // The package's rules: an exit code fails, and so does anything on stderr.
      if (code !== 0) return finish({ kind: 'error', message: `nvidia-smi -q -x exited with code ${code ?? 'null'}` });
      const stderr = Buffer.concat(err).toString('utf8');
      if (stderr !== '') return finish({ kind: 'error', message: errorText(stderr) });
      parseLikeThePackage(Buffer.concat(out).toString('utf8'), (e, data) =>
        finish(e ? { kind: 'error', message: errorText(e) } : { kind: 'data', data }),
      );
    });
  });
}

/**
 * Runs an injected package-style call once with a hard timeout. Never rejects. The callback may
 * never come (a hung tool); the timer then wins. Only for calls that cannot be killed (the
 * package's own function in tests): the default path is runLikeNodeNvidiaSmi, which kills.
 */
export function callNodeNvidiaSmi(timeoutMs: number, call: NodeNvidiaSmiCall): Promise<Outcome> {
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
    const exe = findOnPath('nvidia-smi', path);
    if (!exe) return { ok: false, reason: NOT_ON_PATH };
    const started = Date.now();
    const r = opts.call ? await callNodeNvidiaSmi(timeoutMs, opts.call) : await runLikeNodeNvidiaSmi(exe, timeoutMs);
    if (r.kind === 'timeout') {
      return {
        ok: false,
        timedOut: true,
        reason: opts.call
          ? `nvidia-smi -q -x did not answer within ${timeoutMs} ms; the scan went on without it`
          : `nvidia-smi -q -x did not answer within ${timeoutMs} ms and was stopped; the scan went on without it`,
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
