/**
 * The deep scan run where it can always be ended: in a child process (the CLI) or a worker thread
 * (the app's engine, an Electron utility process, which cannot start a plain Node child). A scan
 * in the caller's own thread can only stop where it checks its signal; one stuck in a system call
 * or a long loop would hold Cancel, and the app's "one scan at a time", forever. Here Cancel asks
 * the scan to stop, and ends it if it has not within CANCEL_GRACE_MS; either way the caller gets
 * an AbortError that carries the report of the steps done so far.
 *
 * The built CLI and engine have scan-worker.js next to them. Run from source (tests, a TypeScript
 * runner) there is none, and the scan runs in-process, as it does when a caller passes hooks that
 * cannot cross to another thread (an injected file system, a fake process listing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ScanProgress, ScanReport, ScanStepId } from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { type DeepScanOptions, markStopped, runDeepScan } from './deep-scan.js';
import { abortError } from './scan-context.js';

/** The options that cross to the worker: plain data only. */
export interface IsolatedScanOptions {
  platform?: Platform;
  procRoot?: string;
  root?: string;
  domainsFile?: string | null;
  dataDir?: string | null;
  gpuTimeoutMs?: number;
  sysRoot?: string;
  hiddenProbe?: { budgetMs?: number; maxPid?: number } | false;
  steps?: readonly ScanStepId[];
  webRoots?: readonly string[];
  webRootLimits?: DeepScanOptions['webRootLimits'];
  stepBudgetMs?: Partial<Record<ScanStepId, number>>;
  /** The worker loads the allowlist from this data folder (an Allowlist object cannot cross). */
  allowlistDir?: string | null;
}

/** Scan to host. */
export type ScanWorkerMessage =
  | { type: 'progress'; progress: ScanProgress }
  | { type: 'partial'; report: ScanReport }
  | { type: 'done'; report: ScanReport }
  | { type: 'cancelled'; report: ScanReport | null }
  | { type: 'failed'; message: string };

/** Host to scan. */
export type ScanWorkerCommand = { type: 'start'; options: IsolatedScanOptions } | { type: 'cancel' };

export interface IsolationOptions {
  /** Default: a worker thread under Electron (it cannot start a Node child), else a child process. */
  isolation?: 'worker' | 'process' | 'none';
  /** The built scan-worker.js; default the one next to this module, when there is one. */
  workerFile?: string | URL | null;
  /** How long a cancelled scan gets to stop by itself before it is ended. */
  cancelGraceMs?: number;
}

/**
 * The scan makes many small short-lived objects (a read buffer and its lines per file); with V8's
 * default young generation (up to 16 MB per semi-space) they cost tens of MB of resident memory
 * before a collection, with a small one a little more collecting and about a third less memory.
 */
const SEMI_SPACE_MB = 1;
const YOUNG_GENERATION_MB = 3 * SEMI_SPACE_MB;

/** Well inside the 2 s in which Cancel must have ended a scan. */
export const CANCEL_GRACE_MS = 750;

/** scan-worker.js beside the running bundle (scripts/build.mjs puts it there), or null when running from source. */
export function defaultWorkerFile(): URL | null {
  const url = new URL('./scan-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
}

/** Options holding functions or live objects that only work in this thread. */
function hasLocalHooks(o: DeepScanOptions): boolean {
  return (
    o.fs !== undefined ||
    o.snapshot !== undefined ||
    o.nvidiaSmi !== undefined ||
    o.runTool !== undefined ||
    o.domains !== undefined ||
    o.now !== undefined
  );
}

export function isolatedOptions(o: DeepScanOptions): IsolatedScanOptions {
  return {
    platform: o.platform,
    procRoot: o.procRoot,
    root: o.root,
    domainsFile: o.domainsFile,
    dataDir: o.dataDir,
    gpuTimeoutMs: o.gpuTimeoutMs,
    sysRoot: o.sysRoot,
    hiddenProbe: o.hiddenProbe,
    steps: o.steps ? [...o.steps] : undefined,
    webRoots: o.webRoots ? [...o.webRoots] : undefined,
    webRootLimits: o.webRootLimits,
    stepBudgetMs: o.stepBudgetMs,
    allowlistDir: o.allowlist ? dirname(o.allowlist.file) : null,
  };
}

interface Host {
  send(c: ScanWorkerCommand): void;
  /** Ends it whatever it is doing; does not wait. */
  kill(): void;
}

/** The error a scan ends with, carrying what it had done (see partialReportOf). */
function withPartial(e: Error, report: ScanReport | null): Error {
  if (report) Object.defineProperty(e, 'partialReport', { value: report, enumerable: false });
  return e;
}

function cancelled(report: ScanReport | null): Error {
  return withPartial(abortError(), report);
}

/**
 * runDeepScan in a worker thread or child process: same options, same report, same AbortError on
 * cancel (with the partial report attached; see partialReportOf).
 */
export function runDeepScanIsolated(opts: DeepScanOptions = {}, how: IsolationOptions = {}): Promise<ScanReport> {
  const file = how.workerFile === undefined ? defaultWorkerFile() : how.workerFile;
  const isolation = how.isolation ?? (process.versions.electron ? 'worker' : 'process');
  if (file === null || isolation === 'none' || hasLocalHooks(opts)) return runDeepScan(opts);
  const signal = opts.signal;
  if (signal?.aborted) return Promise.reject(abortError());
  const grace = how.cancelGraceMs ?? CANCEL_GRACE_MS;

  return new Promise<ScanReport>((resolve, reject) => {
    let partial: ScanReport | null = null;
    let running: ScanStepId | null = null;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let host: Host;

    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(graceTimer);
      signal?.removeEventListener('abort', onAbort);
      // Its work is over either way; nothing of it may outlive the scan.
      host.kill();
      f();
    };
    const kept = (why = 'the scan was cancelled'): ScanReport | null =>
      partial === null ? null : markStopped(partial, running, why);
    const onMessage = (m: ScanWorkerMessage): void => {
      switch (m.type) {
        case 'progress':
          running = m.progress.phase === 'done' ? null : m.progress.step;
          opts.onProgress?.(m.progress);
          break;
        case 'partial':
          partial = m.report;
          opts.onPartial?.(m.report);
          break;
        case 'done':
          settle(() => resolve(m.report));
          break;
        case 'cancelled':
          settle(() => reject(cancelled(m.report ?? kept())));
          break;
        case 'failed':
          settle(() => reject(withPartial(new Error(m.message), kept(`the scan failed (${m.message})`))));
          break;
      }
    };
    const onGone = (why: string): void =>
      settle(() =>
        signal?.aborted
          ? reject(cancelled(kept()))
          : reject(withPartial(new Error(`the scan ${why}`), kept(`the scan ${why}`))),
      );
    function onAbort(): void {
      host.send({ type: 'cancel' });
      graceTimer = setTimeout(() => settle(() => reject(cancelled(kept()))), grace);
    }

    try {
      host = isolation === 'worker' ? workerHost(file, onMessage, onGone) : processHost(file, onMessage, onGone);
    } catch (e) {
      reject(e);
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    host.send({ type: 'start', options: isolatedOptions(opts) });
  });
}

function workerHost(
  file: string | URL,
  onMessage: (m: ScanWorkerMessage) => void,
  onGone: (why: string) => void,
): Host {
  const worker = new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  worker.on('message', onMessage);
  worker.on('error', (e) => onGone(`failed: ${e.message}`));
  worker.on('exit', (code) => onGone(`worker ended (exit code ${code}) without a report`));
  return {
    send: (c) => worker.postMessage(c),
    kill: () => {
      // terminate() stops JavaScript at once; a thread inside a system call stops when the call
      // returns, and nothing here waits for that.
      void worker.terminate().catch(() => {});
    },
  };
}

function processHost(
  file: string | URL,
  onMessage: (m: ScanWorkerMessage) => void,
  onGone: (why: string) => void,
): Host {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  // No shell, and (unlike fork) none of this process's --inspect or loader flags; stderr is kept
  // to explain a crash.
  const child: ChildProcess = spawn(process.execPath, [`--max-semi-space-size=${SEMI_SPACE_MB}`, path], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-2000);
  });
  child.on('message', (m) => onMessage(m as ScanWorkerMessage));
  child.on('error', (e) => onGone(`could not be started: ${e.message}`));
  child.on('exit', (code, sig) =>
    onGone(
      `process ended (${sig ?? `exit code ${code}`}) without a report${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
    ),
  );
  return {
    send: (c) => {
      if (child.connected) child.send(c);
    },
    kill: () => {
      // SIGKILL ends it in any state, blocked in a system call or stopped included.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
