/**
 * The deep scan: an on-demand sweep in eight steps, each reporting progress, the whole of it
 * cancellable. It only reads: nothing on the machine changes, and a cancelled scan rejects with an
 * AbortError and returns nothing (callers write a report only from a resolved scan).
 */
import { readlinkSync } from 'node:fs';
import type { Severity } from '../../../shared/detection.js';
import {
  SCAN_FORMAT,
  SCAN_STEPS,
  SCAN_VERSION,
  type ScanBrowserProcess,
  type ScanConnection,
  type ScanFinding,
  type ScanGpuInventory,
  type ScanProcess,
  type ScanProgress,
  type ScanReport,
  type ScanStepId,
  type ScanStepResult,
} from '../../../shared/scan.js';
import type { Platform } from '../../../shared/trace.js';
import { readLinuxProcDetails } from '../actions/linux-proc-state.js';
import type { Allowlist } from '../allowlist/allowlist.js';
import { HashCache } from '../allowlist/file-hash.js';
import { inSystemFolder } from '../detect/provenance.js';
import { type DomainList, findListedHosts, loadMiningDomains } from '../detect/mining-domains.js';
import { connectionsByPid, formatEndpoint, type ProcConnection } from '../platform/linux/proc-net.js';
import { UserNames } from '../platform/linux/users.js';
import { runFile } from '../util/exec.js';
import { browserProcessInfo } from './browser-roles.js';
import { hashExecutables } from './exe-hashes.js';
import { FindingSet, type NewFinding, processActions, processRef } from './findings.js';
import { gpuInventory, type NvidiaSmiXmlRunner } from './gpu-inventory.js';
import { probeHiddenProcesses } from './hidden-procs.js';
import {
  analyseMinerConfig,
  configArgs,
  configCandidates,
  isMinerConfig,
  type MinerConfigVerdict,
} from './miner-config.js';
import { WorldWritableDirs } from './path-rules.js';
import { collectPersistence, judgeEntry, persistenceFinding, publicEntry } from './persistence-checks.js';
import { type ProcSnapshot, type ScanProc, snapshotLinuxProcesses, snapshotOtherProcesses } from './proc-snapshot.js';
import {
  executableIssues,
  type ProcIssue,
  poolPortConnections,
  poolPortIssue,
  signatureIssue,
} from './process-rules.js';
import { ScanContext, throwIfAborted } from './scan-context.js';
import { nodeScanFs, type ScanFs } from './scan-fs.js';
import type { ToolRunner } from './windows-persistence.js';

export interface DeepScanOptions {
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
  nvidiaSmi?: NvidiaSmiXmlRunner;
  gpuTimeoutMs?: number;
  sysRoot?: string;
  /** The hidden-process probe's limits, or false to skip it. */
  hiddenProbe?: { budgetMs?: number; maxPid?: number } | false;
  /** Runs reg, schtasks, PowerShell and plutil; default runFile. */
  runTool?: ToolRunner;
  /** Only these steps; the others are reported as skipped. */
  steps?: readonly ScanStepId[];
  /** Replaces the process listing (tests, or a host with its own). */
  snapshot?: () => Promise<ProcSnapshot>;
  now?: () => number;
}

function hostPlatform(): Platform {
  return process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';
}

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

interface StepOutcome {
  status: ScanStepResult['status'];
  detail: string;
}

export async function runDeepScan(opts: DeepScanOptions = {}): Promise<ScanReport> {
  const signal = opts.signal;
  throwIfAborted(signal);
  const now = opts.now ?? Date.now;
  const platform = opts.platform ?? hostPlatform();
  const procRoot = opts.procRoot ?? '/proc';
  const root = opts.root ?? '/';
  const ctx = new ScanContext(platform, root, opts.fs ?? nodeScanFs, signal);
  const startedMs = now();
  const wallStart = performance.now();
  const onlySteps = opts.steps ? new Set(opts.steps) : null;
  const hashCache = opts.hashCache ?? new HashCache();
  const runTool = opts.runTool ?? runFile;

  let domains = opts.domains;
  if (!domains) {
    const loaded = await loadMiningDomains({ file: opts.domainsFile ?? null, dataDir: opts.dataDir ?? null });
    domains = loaded.list;
    for (const p of loaded.problems) ctx.problem('network', null, p);
  }
  const domainList = domains;

  const findings = new FindingSet();
  const steps: ScanStepResult[] = [];
  let snapshot: ProcSnapshot = { procs: [], listed: new Set(), unreadable: 0 };
  let byPid = new Map<number, ScanProc>();
  const configHosts = new Map<number, MinerConfigVerdict['hosts']>();
  const connections: ScanConnection[] = [];
  const persistence: ScanReport['persistence'] = [];
  const persistencePrograms = new Map<ScanFinding, string>();
  let gpu: ScanGpuInventory = { devices: [], processes: [], tools: [], driverVersion: null };
  let hidden: ScanReport['hidden'] = null;
  const browsers: ScanBrowserProcess[] = [];
  const hashes = new Map<number, string | null>();

  const addProcFinding = (p: ScanProc, issue: ProcIssue): ScanFinding => {
    const ref = processRef(p, byPid);
    const f: NewFinding = { key: `${p.pid}@${p.startTimeMs}`, ...issue, process: ref, actions: processActions(ref) };
    return findings.add(f);
  };

  const total = SCAN_STEPS.length;
  const step = async (
    id: ScanStepId,
    body: (progress: (fraction: number) => void) => Promise<StepOutcome>,
  ): Promise<void> => {
    const index = SCAN_STEPS.findIndex((s) => s.id === id) + 1;
    const label = SCAN_STEPS[index - 1]?.label ?? id;
    if (onlySteps && !onlySteps.has(id)) {
      steps.push({ id, label, status: 'skipped', durationMs: 0, detail: 'not asked for' });
      return;
    }
    throwIfAborted(signal);
    const emit = (phase: ScanProgress['phase'], extra: Partial<ScanProgress> = {}): void =>
      opts.onProgress?.({ step: id, label, index, total, phase, ...extra });
    emit('start');
    const t0 = performance.now();
    let last = 0;
    const outcome = await body((fraction) => {
      // A handful of updates per step is enough for a progress bar; thousands would flood the IPC.
      if (fraction - last >= 0.1 || (fraction >= 1 && last < 1)) {
        last = fraction;
        emit('progress', { fraction: Math.min(1, fraction) });
      }
    });
    throwIfAborted(signal);
    steps.push({
      id,
      label,
      status: outcome.status,
      durationMs: Math.round(performance.now() - t0),
      detail: outcome.detail,
    });
    emit('done', { detail: outcome.detail });
  };

  // 1. Processes and executables.
  await step('processes', async (progress) => {
    const take =
      opts.snapshot ??
      (() =>
        platform === 'linux'
          ? snapshotLinuxProcesses({ procRoot, signal, onProgress: progress })
          : snapshotOtherProcesses());
    snapshot = await take();
    byPid = new Map(snapshot.procs.map((p) => [p.pid, p]));
    const writable = platform === 'win32' ? null : new WorldWritableDirs();
    for (const p of snapshot.procs)
      for (const issue of executableIssues(p, platform, writable)) addProcFinding(p, issue);
    const n = snapshot.procs.length;
    if (snapshot.unreadable > 0) {
      return {
        status: 'partial',
        detail: `${plural(n, 'process', 'processes')}; ${plural(snapshot.unreadable, 'process', 'processes')} could not be fully read (other users'; run as root to see them)`,
      };
    }
    return { status: 'ok', detail: plural(n, 'process', 'processes') };
  });

  // 2. Miner signatures in command lines and config files.
  await step('signatures', async (progress) => {
    const verdicts = new Map<string, MinerConfigVerdict | null>();
    let configs = 0;
    let i = 0;
    for (const p of snapshot.procs) {
      if (++i % 256 === 0) {
        progress(i / snapshot.procs.length);
        throwIfAborted(signal);
      }
      const sig = signatureIssue(p, platform);
      if (sig) addProcFinding(p, sig);
      if (p.kernelThread) continue;
      const named = configArgs(p.argv).length > 0;
      // Programs in the system folders are packaged, and /usr/bin/config.json is nobody's miner config.
      if (!named && (p.exe === null || inSystemFolder(p.exe, platform))) continue;
      const cwd = named && platform === 'linux' ? readCwd(procRoot, p.pid) : null;
      for (const path of configCandidates(p.exe, p.argv, cwd, platform)) {
        let v = verdicts.get(path);
        if (v === undefined) {
          const buf = await ctx.readText('signatures', ctx.resolve(path), 1024 * 1024);
          v = buf === null ? null : analyseMinerConfig(buf.toString('utf8'));
          if (buf !== null) configs++;
          verdicts.set(path, v);
        }
        if (!v) continue;
        configHosts.set(p.pid, [...(configHosts.get(p.pid) ?? []), ...v.hosts]);
        if (!isMinerConfig(v)) continue;
        addProcFinding(p, {
          rule: 'miner-config',
          severity: 'high',
          title: `Uses a miner configuration file: ${path}`,
          evidence: [`file: ${ctx.resolve(path)}`, ...v.marks],
        });
      }
    }
    progress(1);
    return {
      status: 'ok',
      detail: `${plural(snapshot.procs.length, 'command line')}, ${plural(configs, 'config file')} read`,
    };
  });

  // 3. Network: connections to pool ports, mining domains in command lines and configs.
  await step('network', async () => {
    let outcome: StepOutcome;
    if (platform === 'linux') {
      const inodes = new Map<number, number[]>();
      for (const p of snapshot.procs) if (p.sockets && p.sockets.length > 0) inodes.set(p.pid, p.sockets);
      const result = connectionsByPid({ procRoot, pids: inodes.keys(), socketInodes: inodes });
      for (const e of result.errors) ctx.problem('network', null, e);
      for (const [pid, conns] of result.byPid) {
        for (const c of conns) connections.push(scanConnection(c));
        const pool = poolPortIssue(poolPortConnections(conns));
        const p = byPid.get(pid);
        if (pool && p) addProcFinding(p, pool);
      }
      const held =
        connections.length === 0
          ? 'no TCP or UDP sockets open'
          : `${plural(connections.length, 'socket')} held by ${plural(result.byPid.size, 'process', 'processes')}`;
      outcome = {
        status: result.errors.length > 0 ? 'partial' : 'ok',
        detail: `${held}; ${domainList.size} mining domains from ${domainList.source}`,
      };
    } else {
      outcome = {
        status: 'partial',
        detail: `connections are read on Linux only (/proc/net); mining domains in command lines were checked (${domainList.size} from ${domainList.source})`,
      };
    }
    for (const p of snapshot.procs) {
      if (p.kernelThread) continue;
      const hits = findListedHosts(`${p.cmdline} ${(configHosts.get(p.pid) ?? []).join(' ')}`, domainList);
      if (hits.length === 0) continue;
      addProcFinding(p, {
        rule: 'mining-domain',
        severity: 'high',
        title: `Names a mining domain: ${hits[0]?.host}`,
        evidence: hits.map((h) => `${h.host} (on the mining-domain list as ${h.domain})`),
      });
    }
    return outcome;
  });

  // 4. Persistence.
  await step('persistence', async () => {
    const entries = await collectPersistence(ctx, runTool);
    let flagged = 0;
    for (const e of entries) {
      const v = judgeEntry(e, platform, domainList);
      if (!e.shellScript || v) persistence.push(publicEntry(e));
      if (!v) continue;
      flagged++;
      const f = findings.add(persistenceFinding(e, v));
      if (v.program) persistencePrograms.set(f, v.program);
    }
    const problems = ctx.problems.filter((p) => p.step === 'persistence').length;
    const where = root === '/' ? '' : ` under ${root}`;
    return {
      status: problems > 0 ? 'partial' : 'ok',
      detail: `${plural(persistence.length, 'entry', 'entries')}${where}, ${flagged} suspicious${problems > 0 ? `; ${plural(problems, 'place')} could not be read` : ''}`,
    };
  });

  // 5. Hidden processes.
  await step('hidden', async (progress) => {
    if (platform !== 'linux' || opts.hiddenProbe === false) {
      return { status: 'unavailable', detail: platform !== 'linux' ? 'Linux only' : 'turned off' };
    }
    // Without the listing every live pid would look hidden.
    if (!steps.some((s) => s.id === 'processes' && s.status !== 'skipped')) {
      return { status: 'unavailable', detail: 'needs the process listing, which was not asked for' };
    }
    const r = await probeHiddenProcesses({
      procRoot,
      listed: snapshot.listed,
      budgetMs: opts.hiddenProbe?.budgetMs,
      maxPid: opts.hiddenProbe?.maxPid,
      signal,
      onProgress: progress,
    });
    hidden = { pids: r.hidden.map((h) => h.pid), probed: r.probed, maxPid: r.maxPid, complete: r.complete };
    const users = new UserNames();
    for (const h of r.hidden) {
      const d = readLinuxProcDetails(h.pid, procRoot);
      const how =
        h.probe === 'lookup'
          ? '/proc/PID answers a direct lookup'
          : 'it answers a signal probe (kill 0) but has no /proc entry';
      const evidence = [
        `pid ${h.pid} exists (${how}) but is missing from the /proc listing`,
        'something is filtering the process list: the mark of a rootkit',
      ];
      if (d) {
        const p: ScanProc = {
          pid: h.pid,
          ppid: d.ppid,
          name: d.comm,
          state: d.state,
          exe: d.exe,
          cmdline: d.cmdline,
          argv: d.cmdline.split(' '),
          uid: d.uid,
          user: d.uid === null ? null : users.name(d.uid, now()),
          startTimeMs: d.startTimeMs,
          kernelThread: d.kernelThread,
          cpuSec: null,
          sockets: null,
          gpuDevices: [],
        };
        addProcFinding(p, {
          rule: 'hidden-process',
          severity: 'high',
          title: `Process ${h.pid} (${d.comm}) is hidden from the process list`,
          evidence,
        });
      } else {
        findings.add({
          key: String(h.pid),
          rule: 'hidden-process',
          severity: 'high',
          title: `Process ${h.pid}${h.name ? ` (${h.name})` : ''} is hidden from the process list`,
          evidence,
          actions: [
            {
              kind: 'manual',
              text: 'Its details cannot be read: check the machine for a rootkit from trusted boot media',
            },
          ],
        });
      }
    }
    const range = r.complete
      ? `all ${plural(r.maxPid - 1, 'pid')}`
      : `${plural(r.probed, 'pid')} of ${r.maxPid - 1} within the time limit`;
    return {
      status: r.complete ? 'ok' : 'partial',
      detail: `probed ${range}; ${plural(r.hidden.length, 'hidden process', 'hidden processes')}`,
    };
  });

  // 6. GPU inventory.
  await step('gpu', async () => {
    const deviceUsers = snapshot.procs
      .filter((p) => p.gpuDevices.length > 0)
      .map((p) => ({ pid: p.pid, name: p.name }));
    gpu = await gpuInventory({
      platform,
      nvidiaSmi: opts.nvidiaSmi,
      timeoutMs: opts.gpuTimeoutMs,
      sysRoot: opts.sysRoot,
      deviceUsers,
      signal,
    });
    const working = gpu.tools.filter((t) => t.ok);
    return {
      status: working.length > 0 ? 'ok' : 'unavailable',
      detail:
        working.length > 0
          ? `${plural(gpu.devices.length, 'GPU')}, ${plural(gpu.processes.length, 'process', 'processes')} using one`
          : `no GPU tool works here: ${gpu.tools.map((t) => `${t.tool}: ${t.detail}`).join('; ')}`,
    };
  });

  // 7. Browsers.
  await step('browsers', async () => {
    for (const p of snapshot.procs) {
      const b = browserProcessInfo(p, platform);
      if (b) browsers.push({ pid: p.pid, name: p.name, ...b, cpuSec: p.cpuSec });
    }
    const mains = browsers.filter((b) => b.role === 'browser').length;
    return {
      status: 'ok',
      detail: `${plural(browsers.length, 'browser process', 'browser processes')} (${mains} main)`,
    };
  });

  // 8. Hashes of suspicious and GPU-using executables, then the allowlist.
  const gpuPids = new Set(gpu.processes.map((p) => p.pid));
  await step('hashes', async (progress) => {
    const targets = new Map<number, { pid: number; exe: string | null }>();
    for (const f of findings.all())
      if (f.process) targets.set(f.process.pid, { pid: f.process.pid, exe: f.process.exe });
    for (const pid of gpuPids) {
      const p = byPid.get(pid);
      if (p) targets.set(pid, { pid, exe: p.exe });
    }
    const got = await hashExecutables([...targets.values()], hashCache, {
      platform,
      procRoot,
      signal,
      onProgress: progress,
    });
    for (const [pid, h] of got) hashes.set(pid, h);
    const hashed = [...got.values()].filter((h) => h !== null).length;
    return { status: 'ok', detail: `${plural(hashed, 'executable')} hashed` };
  });

  for (const f of findings.all()) {
    if (!f.process) continue;
    f.process.sha256 = hashes.get(f.process.pid) ?? null;
    for (const a of f.actions) if (a.kind === 'allowlist') a.sha256 = f.process.sha256;
  }
  findings.corroborate();
  if (opts.allowlist) await markAllowlisted(findings.all(), opts.allowlist, hashes, persistencePrograms);
  throwIfAborted(signal);

  const processes: ScanProcess[] = snapshot.procs.map((p) => ({
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    exe: p.exe,
    cmdline: p.cmdline,
    user: p.user,
    startTimeMs: p.startTimeMs,
    kernelThread: p.kernelThread,
    cpuSec: p.cpuSec,
    gpu: gpuPids.has(p.pid),
    sha256: hashes.get(p.pid) ?? null,
  }));
  const sorted = findings.sorted();
  const summary = { high: 0, medium: 0, low: 0, allowlisted: 0 };
  for (const f of sorted) {
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
    findings: sorted,
    processes,
    connections,
    persistence,
    gpu,
    browsers,
    hidden,
    domainList: { source: domainList.source, count: domainList.size },
    steps,
    problems: ctx.problems,
    summary,
  };
}

function readCwd(procRoot: string, pid: number): string | null {
  try {
    return readlinkSync(`${procRoot}/${pid}/cwd`);
  } catch {
    return null;
  }
}

function scanConnection(c: ProcConnection): ScanConnection {
  return {
    pid: c.pid,
    proto: c.proto,
    local: formatEndpoint(c.localAddress, c.localPort),
    remote: formatEndpoint(c.remoteAddress, c.remotePort),
    remotePort: c.remotePort,
    state: c.state,
  };
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
