/**
 * The deep scan: an on-demand sweep of processes, executables, miner signatures, network
 * connections, persistence entries, hidden processes, GPUs and browsers. These are the types the
 * engine produces and the CLI, the app and the window show. Every string that came from the
 * machine (command lines, file contents, names) is attacker-controlled text: escape it for HTML,
 * strip control characters for a terminal, never pass it to a shell.
 */
import type { Severity } from './detection.js';
import type { ProcessIdentity } from './identity.js';
import type { Platform } from './trace.js';

export const SCAN_FORMAT = 'idlewatch-scan';
export const SCAN_VERSION = 1;

export type ScanStepId =
  | 'processes'
  | 'signatures'
  | 'network'
  | 'persistence'
  | 'hidden'
  | 'gpu'
  | 'hosts'
  | 'web-root'
  | 'browsers'
  | 'hashes'
  | 'dns'
  | 'software'
  | 'tamper';

/** The steps in the order a scan runs them, with the label the user reads while it runs. */
export const SCAN_STEPS: readonly { id: ScanStepId; label: string }[] = [
  { id: 'processes', label: 'Processes and executables' },
  { id: 'signatures', label: 'Miner signatures (command lines and config files)' },
  { id: 'network', label: 'Network connections' },
  { id: 'dns', label: 'DNS cache (mining domains looked up)' },
  { id: 'persistence', label: 'Persistence (autostart, scheduled jobs, preload)' },
  { id: 'tamper', label: 'Tampering and miner tuning' },
  { id: 'hidden', label: 'Hidden processes' },
  { id: 'gpu', label: 'GPU inventory' },
  { id: 'hosts', label: 'Hosts file (blocked mining domains, redirected security and update sites)' },
  { id: 'web-root', label: 'Web roots (browser miners injected into served pages)' },
  { id: 'browsers', label: 'Browsers' },
  { id: 'software', label: 'Software currency (browsers, OS updates)' },
  { id: 'hashes', label: 'Executable hashes' },
];

export interface ScanProgress {
  step: ScanStepId;
  label: string;
  /** 1-based position of the step among `total`. */
  index: number;
  total: number;
  phase: 'start' | 'progress' | 'done';
  /** 0..1 within the step, when the step can tell. */
  fraction?: number;
  /** "1,012 processes", "3 findings". */
  detail?: string;
}

/** What a finding is about. */
export type ScanRule =
  | 'deleted-executable'
  | 'temp-folder-executable'
  | 'world-writable-folder'
  | 'kernel-thread-impostor'
  | 'system-name-impostor'
  | 'miner-signature'
  | 'miner-config'
  | 'pool-port-connection'
  | 'mining-domain'
  /** Idlewatch's block of mining domains in the hosts file was removed, edited or broken by something else. */
  | 'hosts-tamper'
  /** A hosts line sends a security or update site (antivirus, OS updates, browser updates) to nowhere or elsewhere. */
  | 'hosts-redirect'
  /** A served page or script holds an injected browser miner (a loader, its site key, a mining domain, hidden or not). */
  | 'web-miner'
  | 'persistence'
  | 'ld-preload'
  | 'hidden-process'
  /** An installed browser on a branch that no longer gets security fixes (data/browser-support.json). */
  | 'outdated-browser'
  /** No operating-system updates installed for a long time, or security updates waiting. */
  | 'os-updates'
  /** The resolver cache holds a mining-pool or browser-mining domain: something looked it up. */
  | 'cached-mining-domain'
  /** Huge pages reserved (vm.nr_hugepages, hugepages=), the RandomX miners' first tuning step. */
  | 'huge-pages'
  /** The msr module allows writes to CPU registers (allow_writes=on): RandomX's MSR tuning. */
  | 'msr-writes'
  /** A persistence file made immutable or append-only (chattr +i / +a), so it cannot be cleaned. */
  | 'immutable-file'
  /** An SSH key that lets someone log in: a suspicious forced command or option, or a key file changed lately. */
  | 'ssh-authorized-key'
  /** Task Manager, Registry Editor or another monitor disabled by policy or hijacked (Windows). */
  | 'tool-disabled'
  /** A launchd job kept alive (KeepAlive) whose program any user process could replace (macOS). */
  | 'keepalive-writable';

/** The process as the scan saw it; pid + startTimeMs identify it for a kill (shared/actions.ts). */
export interface ScanProcessRef extends ProcessIdentity {
  /** Lower-case hex SHA-256 of the running executable, when it was hashed. */
  sha256: string | null;
  /** Parent, grandparent, … up to the first process (pid 1) or the first one not visible. */
  chain: { pid: number; name: string; exe: string | null }[];
}

export type PersistenceKind =
  | 'crontab'
  | 'systemd'
  | 'autostart'
  | 'rc-local'
  | 'shell-rc'
  | 'ld-preload'
  | 'registry-run'
  | 'scheduled-task'
  | 'wmi-subscription'
  /** A line of the hosts file (a redirected security or update site). */
  | 'hosts'
  /** A line of a served web page or script that holds an injected browser miner. */
  | 'web-script'
  /** A Windows Defender exclusion (path, process or extension) that blinds Defender where droppers work. */
  | 'defender-exclusion'
  | 'launchd'
  /** A sysctl.d line (vm.nr_hugepages). */
  | 'sysctl'
  /** A modprobe.d or modules-load.d line (options msr allow_writes=on, msr loaded at boot). */
  | 'kernel-module'
  /** A kernel command line setting (hugepages=, msr.allow_writes=) in the boot loader's defaults. */
  | 'boot-cmdline'
  /** A line of an authorized_keys file: a key that can log in. */
  | 'ssh-key'
  /** A Windows policy value or Image File Execution Options debugger. */
  | 'registry-policy';

/** One entry that starts a program without the user asking: a crontab line, an ExecStart=, a Run key value. */
export interface PersistenceEntry {
  kind: PersistenceKind;
  /** The file it is in, as it lies on disk (under a `--root` folder: that folder's path). Null for registry values, tasks and WMI objects. */
  file: string | null;
  /** 1-based line in `file`; null when the entry is not a line of a file. */
  line: number | null;
  /** The line (or the entry) verbatim. */
  text: string;
  /** The command it runs, as far as it can be told. */
  command: string;
  /** Where a non-file entry lives: `HKCU\…\Run : Name`, a task's path, a WMI consumer's name. */
  location: string | null;
  /** Who it runs as, when the entry says (a user crontab's owner, a system crontab's user field). */
  runAs: string | null;
}

export interface ScanPersistenceRef extends PersistenceEntry {
  /** The file as it was when scanned; removal refuses a file that no longer matches. */
  fileState: { size: number; mtimeMs: number; sha256: string } | null;
}

export type ScanAction =
  /** End the process; the action re-checks pid + start time so a reused pid is never touched. */
  | { kind: 'kill'; pid: number; startTimeMs: number; exe: string | null }
  /** Remove that one line, after confirmation; the file as it was goes to the quarantine first. */
  | { kind: 'remove-persistence'; file: string; line: number }
  /**
   * End the process (identity re-checked as for kill) and move its program into the quarantine:
   * offered only where the program is in a folder users can write to.
   */
  | { kind: 'kill-quarantine'; pid: number; startTimeMs: number; exe: string }
  /** Trust the executable from now on. */
  | { kind: 'allowlist'; exe: string; sha256: string | null }
  /** What the user can do by hand where Idlewatch does not act (a registry value, a launchd job). */
  | { kind: 'manual'; text: string };

export interface ScanFinding {
  /** Unique within one report. */
  id: string;
  rule: ScanRule;
  severity: Severity;
  /** One line: "Runs from a temporary folder: /tmp/x/helper". */
  title: string;
  /** The facts behind it, one per line. */
  evidence: string[];
  process?: ScanProcessRef;
  persistence?: ScanPersistenceRef;
  /** Suggested actions, the recommended one first. */
  actions: ScanAction[];
  /** An allowlist entry covers the executable: shown, never alerted. */
  allowlisted: boolean;
}

export interface ScanProcess extends ProcessIdentity {
  /** A kernel thread (no program file). */
  kernelThread: boolean;
  /** CPU time used since it started (user + system), seconds; null where not read. */
  cpuSec: number | null;
  /** Holds a GPU device open or is listed by the GPU driver. */
  gpu: boolean;
  sha256: string | null;
}

export interface ScanConnection {
  pid: number;
  /** tcp, tcp6, udp, udp6. */
  proto: string;
  /** `127.0.0.1:3333`, `[2001:db8::1]:443`. */
  local: string;
  remote: string;
  remotePort: number;
  /** ESTABLISHED, SYN_SENT, LISTEN, UNCONN, … */
  state: string;
}

export interface ScanGpuDevice {
  /** `nvidia-smi` or `drm` (sysfs). */
  source: 'nvidia-smi' | 'drm';
  id: string;
  name: string;
  vendor: string;
  driver: string | null;
  memoryMiB: number | null;
  memoryUsedMiB: number | null;
  util: number | null;
}

export interface ScanGpuInventory {
  devices: ScanGpuDevice[];
  /** Processes the GPU tools list or that hold a GPU device open. */
  processes: { pid: number; name: string; source: 'nvidia-smi' | 'device-file'; memoryMiB: number | null }[];
  /** One sentence per tool: "nvidia-smi: not found on PATH", "DRM: 1 card under /sys/class/drm". */
  tools: { tool: string; ok: boolean; detail: string }[];
  driverVersion: string | null;
}

export type BrowserRole = 'browser' | 'renderer' | 'gpu-process' | 'utility' | 'content' | 'extension' | 'other';

export interface ScanBrowserProcess {
  pid: number;
  name: string;
  /** chrome, chromium, edge, brave, opera, vivaldi, firefox, safari, … */
  browser: string;
  role: BrowserRole;
  /** Chromium `--utility-sub-type`, Firefox's process type word. */
  subType: string | null;
  cpuSec: number | null;
  /**
   * Its load while the user was away, from the live monitor's in-memory history (the app's scans
   * only; `idlewatch scan` has no monitor behind it and leaves this out).
   */
  whileAway?: { cpuSec: number; gpuSec: number; overSec: number };
}

export interface ScanStepResult {
  id: ScanStepId;
  label: string;
  /** `partial`: ran but could not see everything (see problems); `unavailable`: not possible here; `skipped`: not asked for. */
  status: 'ok' | 'partial' | 'unavailable' | 'skipped';
  durationMs: number;
  detail: string;
}

/** Something the scan could not read or do; never fatal. */
export interface ScanProblem {
  step: ScanStepId;
  path: string | null;
  message: string;
}

export interface ScanReport {
  format: typeof SCAN_FORMAT;
  version: typeof SCAN_VERSION;
  startedAt: string;
  durationMs: number;
  platform: Platform;
  /** The folder the file checks (persistence, config files) ran against: `/` unless `--root`. */
  root: string;
  findings: ScanFinding[];
  processes: ScanProcess[];
  connections: ScanConnection[];
  persistence: PersistenceEntry[];
  gpu: ScanGpuInventory;
  browsers: ScanBrowserProcess[];
  hidden: { pids: number[]; probed: number; maxPid: number; complete: boolean } | null;
  /** Where the mining-domain list came from and how many names it has. */
  domainList: { source: string; count: number };
  steps: ScanStepResult[];
  problems: ScanProblem[];
  /** Installed browsers and OS updates (the software step); absent from reports of older versions. */
  software?: ScanSoftware;
  /** The resolver cache and the mining domains in it (the dns step); absent from reports of older versions. */
  dnsCache?: ScanDnsCache;
  summary: { high: number; medium: number; low: number; allowlisted: number };
}

/**
 * What removing a persistence finding's line did (`scan:removePersistence`, `idlewatch fix`). The
 * file as it was is kept in the quarantine (shared/quarantine.ts) under `quarantineId`.
 */
export type RemoveResult =
  | { ok: true; file: string; line: number; removed: string; quarantineId: string }
  | {
      ok: false;
      code: 'not-confirmed' | 'not-removable' | 'changed' | 'failed' | 'unknown-finding';
      reason: string;
    };

/** One installed browser as the software step found it. */
export interface ScanInstalledBrowser {
  /** chrome, chromium, edge, firefox, brave, opera, vivaldi. */
  browser: string;
  /** "Google Chrome", "Firefox ESR". */
  label: string;
  /** stable, beta, dev, canary, release, esr, … */
  channel: string;
  /** The vendor's version (a package's epoch and revision removed): `140.0.2`, `156.0.8078.129`. */
  version: string;
  /** Where the version was read: `dpkg: chromium 156.0.8078.129-1~deb12u1`, an Info.plist, a PE version resource. */
  source: string;
  /** The program or package file it belongs to, when there is one. */
  path: string | null;
  /** `unknown` when the table has no entry, or is too old to judge by. */
  verdict: 'supported' | 'unsupported' | 'unknown';
  /** One sentence: "this branch stopped getting security fixes on 2024-10-01; update it". */
  verdictText: string;
}

/** When the operating system last installed updates, and what is waiting, as far as a user can read. */
export interface ScanOsUpdates {
  /** `unknown` when no history could be read (notes say why). */
  state: 'recent' | 'stale' | 'unknown';
  /** ISO time of the last installed update, when known. */
  lastInstalled: string | null;
  /** What said so: `/var/log/apt/history.log`, `Get-HotFix`, `/Library/Receipts/InstallHistory.plist`. */
  source: string | null;
  /** What was installed then, shortened: "12 packages upgraded", "KB5034441". */
  what: string | null;
  /** Security updates waiting, where a user-level read can tell; null when it cannot. */
  pendingSecurity: number | null;
  /** Updates waiting in all, where known. */
  pending: number | null;
  /** What could not be read, and why, one sentence each. */
  notes: string[];
}

export interface ScanSoftware {
  /** The support table the verdicts come from; null when it could not be read. */
  table: { file: string; written: string; ageDays: number; tooOld: boolean } | null;
  browsers: ScanInstalledBrowser[];
  os: ScanOsUpdates;
}

/** A mining domain found in the resolver cache. */
export interface ScanDnsHit {
  /** The name as cached (a CNAME's owner or target). */
  name: string;
  /** The list entry it matched. */
  domain: string;
  /** A, AAAA, CNAME, … */
  type: string;
  /** The address (or CNAME target) it maps to. */
  data: string;
  /** Seconds the entry has left; null where the source does not say. */
  ttlSec: number | null;
  /** Processes with a connection to that address in the network step's tables. */
  processes: { pid: number; name: string; remote: string }[];
}

export interface ScanDnsCache {
  /** `Get-DnsClientCache`, `resolvectl show-cache`, or what was tried. */
  source: string;
  readable: boolean;
  /** Why it could not be read, or how many entries it held. */
  detail: string;
  entries: number;
  hits: ScanDnsHit[];
}
