/**
 * The deep scan: an on-demand sweep in eight steps, each reporting progress, each with a time
 * limit, the whole of it cancellable. It only reads: nothing on the machine changes. A cancelled
 * scan rejects with an AbortError that carries the report of what it had done (partialReportOf),
 * and onPartial hands out that report after every step, for callers that run the scan in a worker
 * or a child process and may have to end it without its cooperation.
 *
 * Each step is a module under steps/; this is the runner: their order, their time limits,
 * cancellation, and the report assembled from what they leave in the scan's state.
 */
import type { Severity } from '../../../shared/detection.js';
import { identityOf } from '../../../shared/identity.js';
import {
  SCAN_FORMAT,
  SCAN_STEPS,
  SCAN_VERSION,
  type ScanFinding,
  type ScanProcess,
  type ScanProgress,
  type ScanReport,
  type ScanStepId,
  type ScanStepResult,
} from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import type { Allowlist } from '../allowlist/allowlist.js';
import { HashCache } from '../allowlist/file-hash.js';
import { type DomainList, loadMiningDomains } from '../detect/mining-domains.js';
import { systemToolRunner } from '../platform/win32/system-tools.js';
import { runFile } from '../util/exec.js';
import { FindingSet } from './findings.js';
import { abortError, abortable, isAbortError, ScanContext, throwIfAborted } from './scan-context.js';
import { nodeScanFs, type ScanFs } from './scan-fs.js';
import { browsersStep } from './steps/browsers.js';
import { dnsStep } from './steps/dns.js';
import { gpuStep } from './steps/gpu.js';
import { hashesStep } from './steps/hashes.js';
import { hiddenStep } from './steps/hidden.js';
import { hostsStep } from './steps/hosts.js';
import { networkStep } from './steps/network.js';
import { persistenceStep } from './steps/persistence.js';
import { processesStep } from './steps/processes.js';
import { signaturesStep } from './steps/signatures.js';
import { tamperStep } from './steps/tamper.js';
import { softwareStep } from './steps/software.js';
import type { ScanState, ScanStep, StepOptions, StepOutcome, StepScope } from './steps/step.js';
import { webRootStep } from './steps/web-root.js';
import type { ToolRunner } from './windows-persistence.js';

export interface DeepScanOptions extends StepOptions {
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  /** Whose rules apply; default this machine's. */
  platform?: Platform;
  /** Linux process source; default /proc. */
  procRoot?: string;
  /** Folder the file checks (persistence, config files) read under; default `/`. */
  root?: string;
  fs?: ScanFs;
  /** Findings for executables it covers are marked allowlisted. */
  allowlist?: Allowlist | null;
  /** Keep one across scans so unchanged executables are not hashed again. */
  hashCache?: HashCache;
  /** A loaded domain list; else one is loaded from domainsFile / dataDir / the shipped file. */
  domains?: DomainList;
  domainsFile?: string | null;
  dataDir?: string | null;
  /** Runs reg, schtasks, PowerShell and plutil; default runFile. */
  runTool?: ToolRunner;
  /** Only these steps; the others are reported as skipped. */
  steps?: readonly ScanStepId[];
  now?: () => number;
  /** Replaces STEP_BUDGET_MS for some steps (tests). */
  stepBudgetMs?: Partial<Record<ScanStepId, number>>;
  /**
   * After every step: the report of the steps done so far (their findings, processes, entries).
   * A caller that has to end the scan from outside keeps the last one (see markStopped).
   */
  onPartial?: (report: ScanReport) => void;
}

/**
 * The steps in the order they run. Later steps read what earlier ones left: all of them the
 * process listing, network the config files' hosts, hashes the findings and GPU users.
 */
const STEPS: readonly (readonly [ScanStepId, ScanStep])[] = [
  ['processes', processesStep],
  ['signatures', signaturesStep],
  ['network', networkStep],
  ['dns', dnsStep],
  ['persistence', persistenceStep],
  ['tamper', tamperStep],
  ['hidden', hiddenStep],
  ['gpu', gpuStep],
  ['hosts', hostsStep],
  ['web-root', webRootStep],
  ['browsers', browsersStep],
  ['software', softwareStep],
  ['hashes', hashesStep],
];

/**
 * How long each step may run. Past it the step is stopped, keeps what it found, and is reported
 * partial with a problem saying so: a machine that makes one step slow (a huge folder, a file
 * system that answers slowly) costs that step, not the scan.
 */
export const STEP_BUDGET_MS: Readonly<Record<ScanStepId, number>> = {
  processes: 30_000,
  signatures: 20_000,
  network: 15_000,
  persistence: 30_000,
  tamper: 20_000,
  hidden: 15_000,
  gpu: 20_000,
  hosts: 5_000,
  'web-root': 60_000,
  browsers: 10_000,
  hashes: 30_000,
  dns: 10_000,
  software: 20_000,
};

/** A step that ignores its stop signal is abandoned this long after its limit. */
const STEP_GRACE_MS = 2_000;

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The report a cancelled scan (its AbortError) carries, if it got far enough to have one. */
export function partialReportOf(e: unknown): ScanReport | null {
  const r = typeof e === 'object' && e !== null ? (e as { partialReport?: unknown }).partialReport : undefined;
  return r && typeof r === 'object' ? (r as ScanReport) : null;
}

/**
 * A partial report completed for keeping: the step that was running when the scan was stopped is
 * marked partial, the ones after it not run. Steps already in the report are left as they are.
 */
export function markStopped(report: ScanReport, running: ScanStepId | null, why: string): ScanReport {
  const have = new Set(report.steps.map((s) => s.id));
  const steps = [...report.steps];
  for (const s of SCAN_STEPS) {
    if (have.has(s.id)) continue;
    steps.push(
      s.id === running
        ? { id: s.id, label: s.label, status: 'partial', durationMs: 0, detail: `${why} while this step ran` }
        : { id: s.id, label: s.label, status: 'skipped', durationMs: 0, detail: `not run: ${why}` },
    );
  }
  return { ...report, steps };
}

function hostPlatform(): Platform {
  return process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
}

export async function runDeepScan(opts: DeepScanOptions = {}): Promise<ScanReport> {
  const signal = opts.signal;
  throwIfAborted(signal);
  const now = opts.now ?? Date.now;
  const platform = opts.platform ?? hostPlatform();
  const root = opts.root ?? '/';
  const ctx = new ScanContext(platform, root, opts.fs ?? nodeScanFs, signal);
  const startedMs = now();
  const wallStart = performance.now();
  const onlySteps = opts.steps ? new Set(opts.steps) : null;

  let domains = opts.domains;
  if (!domains) {
    const loaded = await loadMiningDomains({ file: opts.domainsFile ?? null, dataDir: opts.dataDir ?? null });
    domains = loaded.list;
    for (const p of loaded.problems) ctx.problem('network', null, p);
  }

  const steps: ScanStepResult[] = [];
  const scan: ScanState = {
    platform,
    procRoot: opts.procRoot ?? '/proc',
    root,
    options: opts,
    now,
    domains,
    hashCache: opts.hashCache ?? new HashCache(),
    // Windows' reg, schtasks and powershell.exe by their full System32 path, never through PATH.
    runTool: opts.runTool ?? (platform === 'win32' ? systemToolRunner(runFile) : runFile),
    findings: new FindingSet(),
    steps,
    snapshot: { procs: [], listed: new Set(), unreadable: 0 },
    byPid: new Map(),
    configHosts: new Map(),
    connections: [],
    persistence: [],
    persistencePrograms: new Map(),
    gpu: { devices: [], processes: [], tools: [], driverVersion: null },
    hidden: null,
    browsers: [],
    hashes: new Map(),
    software: null,
    dnsCache: null,
  };
  const { findings, hashes, persistencePrograms } = scan;

  /** The report as it stands; `final` adds what only a finished scan can (corroboration, hash-pinned allowlist entries). */
  const assemble = async (final: boolean): Promise<ScanReport> => {
    let list: ScanFinding[];
    if (final) {
      for (const f of findings.all()) {
        if (!f.process) continue;
        f.process.sha256 = hashes.get(f.process.pid) ?? null;
        for (const a of f.actions) if (a.kind === 'allowlist') a.sha256 = f.process.sha256;
      }
      findings.corroborate();
      if (opts.allowlist) await markAllowlisted(findings.all(), opts.allowlist, hashes, persistencePrograms);
      list = findings.sorted();
    } else {
      // A copy: the scan goes on changing its findings, and a partial report must not change under
      // whoever holds it. Allowlist entries are matched on known hashes only: nothing is read for it.
      const originals = findings.sorted();
      list = structuredClone(originals);
      list.forEach((f, i) => {
        if (f.process) f.process.sha256 = hashes.get(f.process.pid) ?? null;
        const original = originals[i] as ScanFinding;
        if (opts.allowlist) f.allowlisted = allowlistedNow(f, original, opts.allowlist, hashes, persistencePrograms);
      });
    }
    const gpuPids = new Set(scan.gpu.processes.map((p) => p.pid));
    const processes: ScanProcess[] = scan.snapshot.procs.map((p) => ({
      ...identityOf(p),
      kernelThread: p.kernelThread,
      cpuSec: p.cpuSec,
      gpu: gpuPids.has(p.pid),
      sha256: hashes.get(p.pid) ?? null,
    }));
    const summary = { high: 0, medium: 0, low: 0, allowlisted: 0 };
    for (const f of list) {
      if (f.allowlisted) summary.allowlisted++;
      else summary[f.severity satisfies Severity]++;
    }
    return {
      format: SCAN_FORMAT,
      version: SCAN_VERSION,
      startedAt: new Date(startedMs).toISOString(),
      durationMs: Math.round(performance.now() - wallStart),
      platform,
      root,
      findings: list,
      processes,
      connections: [...scan.connections],
      persistence: [...scan.persistence],
      gpu: structuredClone(scan.gpu),
      browsers: [...scan.browsers],
      hidden: scan.hidden === null ? null : structuredClone(scan.hidden),
      domainList: { source: scan.domains.source, count: scan.domains.size },
      steps: [...steps],
      problems: [...ctx.problems],
      ...(scan.software ? { software: structuredClone(scan.software) } : {}),
      ...(scan.dnsCache ? { dnsCache: structuredClone(scan.dnsCache) } : {}),
      summary,
    };
  };

  const total = SCAN_STEPS.length;
  let running: ScanStepId | null = null;
  const step = async (id: ScanStepId, body: ScanStep): Promise<void> => {
    const index = SCAN_STEPS.findIndex((s) => s.id === id) + 1;
    const label = SCAN_STEPS[index - 1]?.label ?? id;
    if (onlySteps && !onlySteps.has(id)) {
      steps.push({ id, label, status: 'skipped', durationMs: 0, detail: 'not asked for' });
      return;
    }
    throwIfAborted(signal);
    running = id;
    const emit = (phase: ScanProgress['phase'], extra: Partial<ScanProgress> = {}): void =>
      opts.onProgress?.({ step: id, label, index, total, phase, ...extra });
    emit('start');
    const t0 = performance.now();
    let last = 0;
    const budgetMs = opts.stepBudgetMs?.[id] ?? STEP_BUDGET_MS[id];
    const budget = new AbortController();
    const stepSignal = signal ? AbortSignal.any([signal, budget.signal]) : budget.signal;
    let hardTimer: NodeJS.Timeout | undefined;
    const budgetTimer = setTimeout(() => budget.abort(), budgetMs);
    // The body is asked to stop at the limit; one that does not answer is left behind a little later.
    const abandoned = new Promise<never>((_, reject) => {
      hardTimer = setTimeout(() => reject(abortError()), budgetMs + STEP_GRACE_MS);
    });
    let outcome: StepOutcome;
    try {
      const scope: StepScope = {
        progress: (fraction) => {
          // A handful of updates per step is enough for a progress bar; thousands would flood the IPC.
          if (fraction - last >= 0.1 || (fraction >= 1 && last < 1)) {
            last = fraction;
            emit('progress', { fraction: Math.min(1, fraction) });
          }
        },
        signal: stepSignal,
        ctx: ctx.withSignal(stepSignal),
        timedOut: () => budget.signal.aborted && !signal?.aborted,
      };
      outcome = await abortable(Promise.race([body(scan, scope), abandoned]), signal);
    } catch (e) {
      if (signal?.aborted || !budget.signal.aborted || !isAbortError(e)) throw e;
      outcome = {
        status: 'partial',
        detail: `stopped at its time limit (${seconds(budgetMs)}); what it found by then is kept`,
      };
    } finally {
      clearTimeout(budgetTimer);
      clearTimeout(hardTimer);
    }
    throwIfAborted(signal);
    if (budget.signal.aborted) ctx.problem(id, null, `${label}: stopped at its time limit of ${seconds(budgetMs)}`);
    steps.push({
      id,
      label,
      status: outcome.status,
      durationMs: Math.round(performance.now() - t0),
      detail: outcome.detail,
    });
    running = null;
    emit('done', { detail: outcome.detail });
    if (opts.onPartial) opts.onPartial(await assemble(false));
  };

  try {
    for (const [id, body] of STEPS) await step(id, body);
  } catch (e) {
    if (!isAbortError(e) || !signal?.aborted) throw e;
    // What was done is kept: the error carries it, and onPartial gets it last.
    const partial = markStopped(await assemble(false), running, 'the scan was cancelled');
    opts.onPartial?.(partial);
    const err = abortError();
    Object.defineProperty(err, 'partialReport', { value: partial, enumerable: false });
    throw err;
  }
  throwIfAborted(signal);
  const report = await assemble(true);
  throwIfAborted(signal);
  return report;
}

/** Marks findings whose executable (or, for an autostart entry, the program it starts) an allowlist entry covers. */
async function markAllowlisted(
  list: ScanFinding[],
  allowlist: Allowlist,
  hashes: ReadonlyMap<number, string | null>,
  programs: ReadonlyMap<ScanFinding, string>,
): Promise<void> {
  for (const f of list) {
    if (f.rule === 'hidden-process' || f.rule === 'ld-preload') continue; // never trusted away
    if (f.process) {
      const known = hashes.get(f.process.pid);
      const hashOf = known !== undefined ? async () => known : undefined;
      f.allowlisted = (await allowlist.matches({ exe: f.process.exe, cmdline: f.process.cmdline }, hashOf)) !== null;
    } else if (f.persistence) {
      const program = programs.get(f);
      if (program) f.allowlisted = (await allowlist.matches({ exe: program, cmdline: f.persistence.command })) !== null;
    }
  }
}

/** markAllowlisted for a partial report: known hashes only, nothing read, the finding left as it is. */
function allowlistedNow(
  f: ScanFinding,
  original: ScanFinding,
  allowlist: Allowlist,
  hashes: ReadonlyMap<number, string | null>,
  programs: ReadonlyMap<ScanFinding, string>,
): boolean {
  if (f.rule === 'hidden-process' || f.rule === 'ld-preload') return false;
  if (f.process) {
    const known = hashes.get(f.process.pid) ?? null;
    return allowlist.matchesSync({ exe: f.process.exe, cmdline: f.process.cmdline }, () => known) !== null;
  }
  const program = programs.get(original);
  if (f.persistence && program) {
    return allowlist.matchesSync({ exe: program, cmdline: f.persistence.command }, () => null) !== null;
  }
  return false;
}
