/**
 * The shape every deep-scan step has. A step reads what the steps before it left in the scan's
 * state (the process listing above all) and adds to it; the runner (deep-scan.ts) owns the order,
 * the time limits, cancellation and the report, so a step only does its own work.
 */
import { processKey } from '../../../../shared/identity.js';
import type {
  ScanBrowserProcess,
  ScanConnection,
  ScanDnsCache,
  ScanFinding,
  ScanGpuInventory,
  ScanReport,
  ScanSoftware,
  ScanStepResult,
} from '../../../../shared/scan.js';
import type { Platform } from '../../../../shared/trace.js';
import type { HashCache } from '../../allowlist/file-hash.js';
import type { DomainList } from '../../detect/mining-domains.js';
import { type FindingSet, type NewFinding, processActions, processRef } from '../findings.js';
import type { NvidiaSmiXmlRunner } from '../gpu-inventory.js';
import type { MinerConfigVerdict } from '../miner-config.js';
import type { ProcSnapshot, ScanProc } from '../proc-snapshot.js';
import type { ProcIssue } from '../process-rules.js';
import type { ScanContext } from '../scan-context.js';
import type { SoftwareOptions } from '../software/inventory.js';
import type { DnsStepOptions } from './dns.js';
import type { ToolRunner } from '../windows-persistence.js';
import type { WebRootLimits } from './web-root.js';

/** The caller's options that individual steps read (the runner's own are in DeepScanOptions). */
export interface StepOptions {
  nvidiaSmi?: NvidiaSmiXmlRunner;
  gpuTimeoutMs?: number;
  sysRoot?: string;
  /** The hidden-process probe's limits, or false to skip it. */
  hiddenProbe?: { budgetMs?: number; maxPid?: number } | false;
  /** The hosts step reads Idlewatch's record of its block from here (hosts-block.json). */
  dataDir?: string | null;
  /** Folders a web server serves, searched for injected browser miners (`scan --web-root DIR`). */
  webRoots?: readonly string[];
  /** The web-root search's bounds (tests lower them). */
  webRootLimits?: Partial<WebRootLimits>;
  /** Replaces the process listing (tests, or a host with its own). */
  snapshot?: () => Promise<ProcSnapshot>;
  /** lsattr for the tamper step's locked-file check; null: not available. Default: found in the system folders. */
  lsattr?: string | null;
  /** The software step's sources (tests point them at fixtures); see software/inventory.ts. */
  software?: SoftwareOptions;
  /** The dns step's tools (tests put fakes here). */
  dns?: DnsStepOptions;
}

/**
 * One scan's state, shared by its steps. The runner reads it to assemble the report after every
 * step, so a step writes what it has found here as it goes: a step stopped at its time limit then
 * still reports what it found before.
 */
export interface ScanState {
  readonly platform: Platform;
  /** Linux process source. */
  readonly procRoot: string;
  /** Folder the file checks read under. */
  readonly root: string;
  readonly options: Readonly<StepOptions>;
  readonly now: () => number;
  readonly domains: DomainList;
  readonly hashCache: HashCache;
  readonly runTool: ToolRunner;
  readonly findings: FindingSet;
  /** The steps finished (or skipped) so far, in order. */
  readonly steps: readonly ScanStepResult[];
  snapshot: ProcSnapshot;
  byPid: ReadonlyMap<number, ScanProc>;
  /** Pool hosts named in each process's config files: the network step looks them up. */
  readonly configHosts: Map<number, MinerConfigVerdict['hosts']>;
  readonly connections: ScanConnection[];
  readonly persistence: ScanReport['persistence'];
  /** The program a suspicious autostart entry starts: the allowlist is matched on it. */
  readonly persistencePrograms: Map<ScanFinding, string>;
  gpu: ScanGpuInventory;
  hidden: ScanReport['hidden'];
  readonly browsers: ScanBrowserProcess[];
  readonly hashes: Map<number, string | null>;
  /** Installed browsers and OS updates (the software step). */
  software: ScanSoftware | null;
  /** The resolver cache's mining domains (the dns step). */
  dnsCache: ScanDnsCache | null;
}

/** What a step gets for one run: its own signal (fires on cancel and at its time limit) and context. */
export interface StepScope {
  progress: (fraction: number) => void;
  signal: AbortSignal;
  ctx: ScanContext;
  /** True once the step's time limit has passed (as opposed to the whole scan being cancelled). */
  timedOut: () => boolean;
}

export interface StepOutcome {
  status: ScanStepResult['status'];
  detail: string;
}

export type ScanStep = (scan: ScanState, scope: StepScope) => Promise<StepOutcome>;

/** A finding about a process, with its parent chain and the actions offered on it. */
export function addProcFinding(scan: ScanState, p: ScanProc, issue: ProcIssue): ScanFinding {
  const ref = processRef(p, scan.byPid);
  const f: NewFinding = { key: processKey(p), ...issue, process: ref, actions: processActions(ref) };
  return scan.findings.add(f);
}

export const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
