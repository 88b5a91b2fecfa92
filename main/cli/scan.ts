import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ScanFinding, ScanProgress, ScanReport } from '../../shared/scan.js';
import {
  Allowlist,
  type DeepScanOptions,
  defaultDataDir,
  isAbortError,
  localTime,
  renderScanHtml,
  runDeepScanIsolated,
  writeFileAtomic,
} from '../engine/index.js';
import { parseArgs, UsageError } from './args.js';
import {
  browserText,
  dnsCacheText,
  dnsHitText,
  osUpdatesText,
  supportTableText,
} from '../../shared/scan-software-text.js';
import { displayName, pad, safeText } from './format.js';
import { outputPathProblem } from './output-path.js';
import { takeWebRoots } from './web-root-args.js';

export const SCAN_USAGE = `Usage: idlewatch scan [--json] [--html FILE] [--root DIR] [--domains FILE]
                    [--web-root DIR]...

A deep scan: processes, executables, miner signatures, connections, autostart entries, tampering
and miner tuning (huge pages, MSR writes, locked files, SSH keys, disabled tools), hidden processes,
GPUs, browsers. Exits 0 when the scan ran, whatever it found; 130 when cancelled.

  --json           the report as JSON on stdout (no progress lines)
  --html FILE      also write a self-contained HTML report to FILE (its folder must exist)
  --root DIR       check files (autostart entries, configs) under DIR instead of /
  --domains FILE   a mining-domain list instead of the shipped one and the user's
  --web-root DIR   also search DIR (a web server's document root) for browser miners injected
                   into its pages; repeatable. The roots in nginx, Apache and Caddy configs
                   (under --root) are searched anyway
`;

export interface ScanCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Cancels the scan (Ctrl-C). */
  signal?: AbortSignal;
  /** Where the allowlist and the user's domain list live; default the platform's data folder. */
  dataDir?: string;
  /** Replaces the scan (tests). */
  scan?: (opts: DeepScanOptions) => Promise<ScanReport>;
}

/** `idlewatch scan`: 0 when the scan ran (findings or not), 130 when cancelled; usage errors throw UsageError. */
export async function runScanCommand(argv: string[], io: ScanCommandIo): Promise<number> {
  const { rest, webRoots } = await takeWebRoots(argv);
  const { flags, positionals } = parseArgs(rest, {
    json: 'boolean',
    html: 'string',
    root: 'string',
    domains: 'string',
  });
  if (positionals.length > 0) throw new UsageError(`scan takes no arguments, got "${positionals[0]}"`);
  const json = flags.json === true;
  const html = typeof flags.html === 'string' ? resolve(flags.html) : null;
  // Checked before the scan, so a typo in the folder does not cost a whole scan.
  const htmlProblem = html ? await outputPathProblem(html) : null;
  if (htmlProblem) throw new UsageError(htmlProblem, { pointToHelp: false });
  let root = '/';
  if (typeof flags.root === 'string') {
    root = resolve(flags.root);
    const st = await stat(root).catch(() => null);
    if (!st?.isDirectory())
      throw new UsageError(`--root ${safeText(flags.root, 300)} is not a folder`, { pointToHelp: false });
  }
  const domainsFile = typeof flags.domains === 'string' ? resolve(flags.domains) : null;
  if (domainsFile && !(await stat(domainsFile).catch(() => null))?.isFile()) {
    throw new UsageError(`--domains ${safeText(flags.domains as string, 300)} is not a readable file`, {
      pointToHelp: false,
    });
  }
  const dataDir = io.dataDir ?? defaultDataDir();
  let allowlist: Allowlist | null = null;
  try {
    allowlist = await Allowlist.load(dataDir);
  } catch (e) {
    io.stderr.write(
      `idlewatch: the allowlist could not be read (${(e as Error).message}); findings are not checked against it\n`,
    );
  }
  const progress = (p: ScanProgress): void => {
    if (p.phase === 'start') io.stderr.write(`[${p.index}/${p.total}] ${p.label}…\n`);
    else if (p.phase === 'done')
      io.stderr.write(`[${p.index}/${p.total}] ${p.label}: ${safeText(p.detail ?? 'done', 200)}\n`);
  };
  let report: ScanReport;
  try {
    // In a child process of its own: Ctrl-C or SIGTERM ends it whatever it is doing.
    report = await (io.scan ?? runDeepScanIsolated)({
      signal: io.signal,
      onProgress: json ? undefined : progress,
      root,
      allowlist,
      dataDir,
      domainsFile,
      webRoots,
    });
  } catch (e) {
    if (!isAbortError(e)) throw e;
    io.stderr.write('idlewatch: scan cancelled; no report written\n');
    return 130;
  }
  // The report is written only now, whole: a cancelled or failed scan leaves no file behind.
  if (html) {
    await writeFileAtomic(html, renderScanHtml(report));
    if (!json) io.stderr.write(`HTML report written to ${html}\n`);
  }
  const text = json ? `${JSON.stringify(report, null, 2)}\n` : formatScanTable(report);
  // A report is often larger than a pipe holds (64 KB), and the CLI exits as soon as this returns:
  // what is still queued then would be lost, so wait until it has gone out.
  if (!io.stdout.write(text)) await new Promise<void>((resolve) => io.stdout.once('drain', () => resolve()));
  return 0;
}

const SUBJECT_WIDTH = 34;

/** A word a shell passes through as it is: quoted when it holds anything but plain path characters. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:@#+=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** The process, or the entry's place; a long path keeps its end (the file name and line), not its start. */
function subject(f: ScanFinding): string {
  if (f.process) return `pid ${f.process.pid} ${displayName(f.process)}`;
  const p = f.persistence;
  if (!p) return '';
  const where = p.file !== null ? `${p.file}${p.line !== null ? `:${p.line}` : ''}` : (p.location ?? '');
  return where.length > SUBJECT_WIDTH ? `…${where.slice(where.length - SUBJECT_WIDTH + 1)}` : where;
}

/** The report as a terminal table; every machine-derived string has its control characters replaced. */
export function formatScanTable(r: ScanReport): string {
  const lines: string[] = [];
  // When, in the reader's local time with its zone (a bare UTC time reads as local and is hours off).
  lines.push(
    `Idlewatch deep scan, ${localTime(Date.parse(r.startedAt))} (${r.platform}, ${r.processes.length} processes, ${(r.durationMs / 1000).toFixed(1)} s${r.root !== '/' ? `, files under ${safeText(r.root, 80)}` : ''})`,
  );
  lines.push(
    `${r.summary.high} high, ${r.summary.medium} medium, ${r.summary.low} low${r.summary.allowlisted > 0 ? `, ${r.summary.allowlisted} allowlisted` : ''}`,
  );
  lines.push('');
  if (r.findings.length === 0) {
    lines.push('Nothing suspicious was found.');
  } else {
    lines.push(`${pad('SEVERITY', 9)} ${pad('RULE', 22)} ${pad('PROCESS OR ENTRY', SUBJECT_WIDTH)} FINDING`);
    for (const f of r.findings) {
      const sev = `${f.severity.toUpperCase()}${f.allowlisted ? '*' : ''}`;
      lines.push(`${pad(sev, 9)} ${pad(f.rule, 22)} ${pad(subject(f), SUBJECT_WIDTH)} ${safeText(f.title, 110)}`);
    }
    if (r.summary.allowlisted > 0) lines.push('* allowlisted: an allowlist entry covers the executable');
    lines.push('');
    lines.push('Evidence and suggested actions: idlewatch scan --json, or --html FILE.');
    // The fixes Idlewatch can run itself; each keeps what it removes in the quarantine.
    const fixable = r.findings.filter((f) =>
      f.actions.some((a) => a.kind === 'remove-persistence' || a.kind === 'kill-quarantine'),
    );
    if (fixable.length > 0) {
      lines.push('');
      lines.push('Fixes (what they remove goes to the quarantine: idlewatch quarantine list, restore ID)');
      for (const f of fixable) lines.push(`  idlewatch fix ${shellWord(safeText(f.id, 300))}`);
    }
  }
  lines.push('');
  lines.push('Steps');
  for (const s of r.steps) lines.push(`  ${pad(s.status, 12)} ${pad(s.label, 50)} ${safeText(s.detail, 120)}`);
  lines.push(...softwareAndDnsLines(r));
  if (r.problems.length > 0) {
    lines.push('');
    lines.push('Could not be read');
    for (const p of r.problems.slice(0, 20)) lines.push(`  ${safeText(p.message, 160)}`);
    if (r.problems.length > 20) lines.push(`  … and ${r.problems.length - 20} more (see --json)`);
  }
  return `${lines.join('\n')}\n`;
}

/** The software and dns steps' results: every browser with its version and verdict, OS updates, cached mining names. */
function softwareAndDnsLines(r: ScanReport): string[] {
  const lines: string[] = [];
  const sw = r.software;
  if (sw) {
    lines.push('');
    lines.push(`Installed browsers (${safeText(supportTableText(sw), 160)})`);
    if (sw.browsers.length === 0) lines.push('  none found');
    for (const b of sw.browsers) {
      lines.push(`  ${safeText(browserText(b), 200)}`);
      lines.push(`    read from ${safeText(b.source, 160)}`);
    }
    lines.push(`OS updates: ${safeText(osUpdatesText(sw.os), 200)}`);
    for (const n of sw.os.notes) lines.push(`  ${safeText(n, 240)}`);
  }
  const dns = r.dnsCache;
  if (dns) {
    lines.push('');
    lines.push(`DNS cache: ${safeText(dnsCacheText(dns), 240)}`);
    for (const h of dns.hits.slice(0, 20)) lines.push(`  ${safeText(dnsHitText(h), 240)}`);
    if (dns.hits.length > 20) lines.push(`  … and ${dns.hits.length - 20} more (see --json)`);
  }
  return lines;
}
