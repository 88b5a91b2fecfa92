/**
 * Windows persistence: Run/RunOnce registry values (`reg query`), scheduled tasks
 * (`schtasks /query /fo csv /v`), WMI event subscriptions (consumers with the event filter bound to
 * them, PowerShell's Get-CimInstance) and Defender exclusions (Get-MpPreference). The parsers are
 * pure functions tested on hand-made samples; the collection runs the tools through runFile (never
 * a shell, fixed arguments) and is untested here: no Windows machine in this workplace.
 */
import type { RunOptions, RunResult } from '../util/exec.js';
import { parseCsv } from './csv.js';
import type { CollectedEntry } from './persistence-types.js';
import { abortable, type ScanContext } from './scan-context.js';

export type ToolRunner = (file: string, args: readonly string[], opts: RunOptions) => Promise<RunResult>;

export interface RegValue {
  key: string;
  name: string;
  type: string;
  data: string;
}

const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/;

/** `reg query KEY` output: the key lines (HKEY_…) and the values under each. */
export function parseRegQuery(text: string): RegValue[] {
  const out: RegValue[] = [];
  let key: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (/^HKEY_[A-Z_]+(?:\\|$)/.test(raw)) {
      key = raw.trim();
      continue;
    }
    const m = VALUE_LINE.exec(raw);
    if (m && key) out.push({ key, name: m[1] ?? '', type: m[2] ?? '', data: (m[3] ?? '').trim() });
  }
  return out;
}

export interface ScheduledTask {
  name: string;
  command: string;
  author: string | null;
  runAs: string | null;
  status: string | null;
}

/** Column names of `schtasks /query /fo csv /v` (English Windows); other languages fall back to positions. */
const TASK_COLUMNS = {
  name: ['TaskName', 1],
  command: ['Task To Run', 8],
  author: ['Author', 7],
  runAs: ['Run As User', 14],
  status: ['Status', 3],
} as const;

/**
 * `schtasks /query /fo csv /v`: one row per task and trigger, the header repeated before each
 * folder's tasks. Tasks are returned once each; COM-handler tasks (no command line) are skipped.
 */
export function parseSchtasksCsv(text: string): ScheduledTask[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header) return [];
  const col = (which: keyof typeof TASK_COLUMNS): number => {
    const [name, pos] = TASK_COLUMNS[which];
    const i = header.indexOf(name);
    return i >= 0 ? i : pos;
  };
  const ci = {
    name: col('name'),
    command: col('command'),
    author: col('author'),
    runAs: col('runAs'),
    status: col('status'),
  };
  const seen = new Set<string>();
  const out: ScheduledTask[] = [];
  for (const row of rows) {
    if (row.join('\u0000') === header.join('\u0000')) continue;
    const name = row[ci.name] ?? '';
    const command = (row[ci.command] ?? '').trim();
    if (name === '' || command === '' || /^com handler$/i.test(command) || command === 'N/A') continue;
    const key = `${name}\u0000${command}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const opt = (i: number): string | null => {
      const v = (row[i] ?? '').trim();
      return v === '' || v === 'N/A' ? null : v;
    };
    out.push({ name, command, author: opt(ci.author), runAs: opt(ci.runAs), status: opt(ci.status) });
  }
  return out;
}

export interface WmiConsumer {
  kind: string;
  name: string;
  command: string;
  /** Whether a __FilterToConsumerBinding points at it (an unbound consumer never runs); null when not reported. */
  bound: boolean | null;
  /** The WQL query of the bound __EventFilter: what starts it. */
  filter: string | null;
}

/** The CSV that WMI_SCRIPT prints: Kind, Name, Command, and (newer script) Bound, Filter. */
export function parseWmiConsumersCsv(text: string): WmiConsumer[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header) return [];
  const k = header.indexOf('Kind');
  const n = header.indexOf('Name');
  const c = header.indexOf('Command');
  const b = header.indexOf('Bound');
  const f = header.indexOf('Filter');
  if (k < 0 || n < 0 || c < 0) return [];
  return rows
    .slice(1)
    .map((r) => {
      const bound = b < 0 ? null : /^true$/i.test(r[b] ?? '') ? true : /^false$/i.test(r[b] ?? '') ? false : null;
      const filter = f < 0 ? null : (r[f] ?? '').trim() || null;
      return { kind: r[k] ?? '', name: r[n] ?? '', command: (r[c] ?? '').trim(), bound, filter };
    })
    .filter((w) => w.command !== '');
}

export const RUN_KEYS: readonly string[] = [
  'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
  'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
  'HKLM\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run',
  'HKLM\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnce',
];

/**
 * A fixed PowerShell script (no text from the machine is put into it): the command-line and
 * script consumers of permanent WMI event subscriptions, a classic fileless persistence.
 */
export const WMI_SCRIPT = [
  '$ErrorActionPreference = "SilentlyContinue";',
  '$f = @{}; Get-CimInstance -Namespace root/subscription -ClassName __EventFilter | ForEach-Object { $f[$_.Name] = $_.Query };',
  '$b = @{}; Get-CimInstance -Namespace root/subscription -ClassName __FilterToConsumerBinding | ForEach-Object {',
  '  $b[$_.Consumer.CimSystemProperties.ClassName + "|" + $_.Consumer.Name] = [string]$f[$_.Filter.Name] };',
  '$c = @(Get-CimInstance -Namespace root/subscription -ClassName CommandLineEventConsumer | ForEach-Object {',
  '  $k = "CommandLineEventConsumer|" + $_.Name;',
  '  [pscustomobject]@{ Kind = "CommandLine"; Name = $_.Name; Command = $(if ($_.CommandLineTemplate) { $_.CommandLineTemplate } else { $_.ExecutablePath }); Bound = $b.ContainsKey($k); Filter = $b[$k] } });',
  '$s = @(Get-CimInstance -Namespace root/subscription -ClassName ActiveScriptEventConsumer | ForEach-Object {',
  '  $k = "ActiveScriptEventConsumer|" + $_.Name;',
  '  [pscustomobject]@{ Kind = "ActiveScript"; Name = $_.Name; Command = $(if ($_.ScriptFileName) { $_.ScriptFileName } else { $_.ScriptText }); Bound = $b.ContainsKey($k); Filter = $b[$k] } });',
  '@($c + $s) | ConvertTo-Csv -NoTypeInformation',
].join('\n');

/**
 * Defender's exclusions as CSV (Kind, Value). Without administrator rights Get-MpPreference still
 * answers, but each exclusion list reads `N/A: Must be an administrator to view exclusions`.
 */
export const DEFENDER_SCRIPT = [
  '$ErrorActionPreference = "Stop";',
  '$p = Get-MpPreference;',
  '$rows = @(@($p.ExclusionPath) | Where-Object { $_ } | ForEach-Object { [pscustomobject]@{ Kind = "Path"; Value = [string]$_ } }) +',
  '  @(@($p.ExclusionProcess) | Where-Object { $_ } | ForEach-Object { [pscustomobject]@{ Kind = "Process"; Value = [string]$_ } });',
  'if ($rows.Count -eq 0) { ""Kind","Value"" } else { $rows | ConvertTo-Csv -NoTypeInformation }',
].join('\n');

export interface DefenderExclusion {
  kind: 'path' | 'process';
  value: string;
}

export type DefenderExclusions =
  | { readable: true; exclusions: DefenderExclusion[] }
  | { readable: false; reason: string };

export const DEFENDER_NOT_ADMIN = 'not readable without administrator rights';
const NOT_ADMIN_TEXT = /must be an administrator|access is denied|0x80070005|permission denied/i;

/** DEFENDER_SCRIPT's CSV; the administrator-only placeholder means unreadable. */
export function parseDefenderCsv(text: string): DefenderExclusions {
  const rows = parseCsv(text);
  const header = rows[0];
  const k = header?.indexOf('Kind') ?? -1;
  const v = header?.indexOf('Value') ?? -1;
  if (!header || k < 0 || v < 0) return { readable: false, reason: `unexpected output: ${text.slice(0, 120)}` };
  const exclusions: DefenderExclusion[] = [];
  for (const r of rows.slice(1)) {
    const value = (r[v] ?? '').trim();
    if (value === '') continue;
    if (NOT_ADMIN_TEXT.test(value)) return { readable: false, reason: DEFENDER_NOT_ADMIN };
    const kind = /^process$/i.test(r[k] ?? '') ? 'process' : 'path';
    exclusions.push({ kind, value });
  }
  return { readable: true, exclusions };
}

const MINER_WORDS =
  /xmrig|xmr-stak|miner|nicehash|ethminer|t-rex|nbminer|lolminer|gminer|nanominer|srbminer|teamred|cpuminer|cgminer|bfgminer|monero|stratum|(?:^|[\\/._ -])xmr(?:$|[\\/._ -])/i;

/**
 * Why an exclusion is dangerous, or an empty list: it hides a temporary or user-writable folder,
 * a whole drive, or names a miner. A miner dropper adds exactly these so Defender stops looking.
 */
export function judgeDefenderExclusion(e: DefenderExclusion): string[] {
  const reasons: string[] = [];
  const v = e.value.replace(/\//g, '\\').replace(/\\+$/, '').toLowerCase();
  if (/^[a-z]:$/.test(v) || v === '*') reasons.push(`excludes a whole drive (${e.value}) from Defender scans`);
  if (/(^|\\)(temp|tmp)(\\|$)|%temp%|%tmp%|\\appdata\\local\\temp(\\|$)/.test(v)) {
    reasons.push(`excludes a temporary folder (${e.value}), where droppers put the programs they run`);
  } else if (
    /\\appdata\\|%appdata%|%localappdata%|^[a-z]:\\programdata(\\[^\\]*)?$|^[a-z]:\\users\\public(\\|$)|\\downloads(\\|$)/.test(
      v,
    )
  ) {
    reasons.push(`excludes a folder any program of the user can write (${e.value})`);
  }
  if (MINER_WORDS.test(v)) reasons.push(`names a miner (${e.value})`);
  return reasons;
}

/**
 * Reads the exclusions (reporting "not readable without administrator rights" as a problem) and
 * returns the suspicious ones with their reasons; collectWindowsPersistence lists them as entries.
 */
export async function collectDefenderExclusions(
  ctx: ScanContext,
  run: ToolRunner,
): Promise<{ exclusion: DefenderExclusion; reasons: string[] }[]> {
  const r = await abortable(
    run(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', DEFENDER_SCRIPT],
      {
        timeoutMs: TOOL_TIMEOUT_MS,
      },
    ),
    ctx.signal,
  );
  const parsed: DefenderExclusions = r.ok
    ? parseDefenderCsv(r.stdout)
    : {
        readable: false,
        reason: NOT_ADMIN_TEXT.test(`${r.stderr}\n${r.stdout}`)
          ? DEFENDER_NOT_ADMIN
          : (r.error ?? 'Get-MpPreference failed'),
      };
  if (!parsed.readable) {
    ctx.problem('persistence', null, `Defender exclusions: ${parsed.reason}`);
    return [];
  }
  return parsed.exclusions
    .map((exclusion) => ({ exclusion, reasons: judgeDefenderExclusion(exclusion) }))
    .filter((x) => x.reasons.length > 0);
}

const TOOL_TIMEOUT_MS = 20_000;

function entry(
  kind: CollectedEntry['kind'],
  location: string,
  text: string,
  command: string,
  runAs: string | null,
): CollectedEntry {
  return {
    kind,
    file: null,
    line: null,
    text,
    command,
    location,
    runAs,
    fileState: null,
    home: null,
    shellScript: false,
    notes: [],
  };
}

/** Runs the three tools and turns their output into entries; a tool that fails is a problem, not an error. */
export async function collectWindowsPersistence(ctx: ScanContext, run: ToolRunner): Promise<CollectedEntry[]> {
  const out: CollectedEntry[] = [];
  const tool = (file: string, args: readonly string[]): Promise<RunResult> =>
    abortable(run(file, args, { timeoutMs: TOOL_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 }), ctx.signal);
  const firstLine = (r: RunResult): string => r.error ?? r.stdout.split('\n')[0]?.slice(0, 200) ?? 'no output';
  for (const key of RUN_KEYS) {
    const r = await tool('reg', ['query', key]);
    // Exit code 1 ("unable to find"): the key does not exist, which is normal for RunOnce.
    if (!r.ok) {
      if (r.code !== 1) ctx.problem('persistence', key, `reg query ${key}: ${firstLine(r)}`);
      continue;
    }
    for (const v of parseRegQuery(r.stdout)) {
      if (v.data === '') continue; // an empty value starts nothing
      const scope = v.key.startsWith('HKEY_CURRENT_USER') || key.startsWith('HKCU') ? 'current user' : 'every user';
      out.push(entry('registry-run', `${v.key} : ${v.name}`, `${v.name}    ${v.type}    ${v.data}`, v.data, scope));
    }
  }
  const tasks = await tool('schtasks', ['/query', '/fo', 'csv', '/v']);
  if (tasks.ok) {
    for (const t of parseSchtasksCsv(tasks.stdout))
      out.push(entry('scheduled-task', t.name, t.command, t.command, t.runAs));
  } else {
    ctx.problem('persistence', null, `schtasks: ${firstLine(tasks)}`);
  }
  const wmi = await tool('powershell.exe', [
    '-NoProfile',
    '-NonInteractive',
    '-ExecutionPolicy',
    'Bypass',
    '-Command',
    WMI_SCRIPT,
  ]);
  if (wmi.ok) {
    for (const w of parseWmiConsumersCsv(wmi.stdout)) {
      const e = entry('wmi-subscription', `WMI ${w.kind}EventConsumer "${w.name}"`, w.command, w.command, 'SYSTEM');
      if (w.filter) e.notes.push(`started by the WMI event filter: ${w.filter}`);
      else if (w.bound === false) e.notes.push('no event filter is bound to it, so it does not run until one is');
      out.push(e);
    }
  } else {
    ctx.problem('persistence', null, `WMI subscriptions: ${firstLine(wmi)}`);
  }
  for (const { exclusion, reasons } of await collectDefenderExclusions(ctx, run)) {
    const removal = `Remove-MpPreference -Exclusion${exclusion.kind === 'path' ? 'Path' : 'Process'} '${exclusion.value.replace(/'/g, "''")}'`;
    const e = entry(
      'defender-exclusion',
      removal,
      `${exclusion.kind} exclusion: ${exclusion.value}`,
      exclusion.value,
      null,
    );
    e.judged = reasons;
    out.push(e);
  }
  return out;
}
