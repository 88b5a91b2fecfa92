/**
 * Windows persistence: Run/RunOnce registry values (`reg query`), scheduled tasks
 * (`schtasks /query /fo csv /v`) and WMI event consumers (PowerShell's Get-CimInstance). The
 * parsers are pure functions tested on hand-made samples; the collection runs the tools through
 * runFile (never a shell, fixed arguments) and is untested here: no Windows machine in this workplace.
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
}

/** The CSV that WMI_SCRIPT prints: Kind, Name, Command. */
export function parseWmiConsumersCsv(text: string): WmiConsumer[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header) return [];
  const k = header.indexOf('Kind');
  const n = header.indexOf('Name');
  const c = header.indexOf('Command');
  if (k < 0 || n < 0 || c < 0) return [];
  return rows
    .slice(1)
    .map((r) => ({ kind: r[k] ?? '', name: r[n] ?? '', command: (r[c] ?? '').trim() }))
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
  '$c = @(Get-CimInstance -Namespace root/subscription -ClassName CommandLineEventConsumer | ForEach-Object {',
  '  [pscustomobject]@{ Kind = "CommandLine"; Name = $_.Name; Command = $(if ($_.CommandLineTemplate) { $_.CommandLineTemplate } else { $_.ExecutablePath }) } });',
  '$s = @(Get-CimInstance -Namespace root/subscription -ClassName ActiveScriptEventConsumer | ForEach-Object {',
  '  [pscustomobject]@{ Kind = "ActiveScript"; Name = $_.Name; Command = $(if ($_.ScriptFileName) { $_.ScriptFileName } else { $_.ScriptText }) } });',
  '@($c + $s) | ConvertTo-Csv -NoTypeInformation',
].join('\n');

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
      out.push(entry('wmi-subscription', `WMI ${w.kind}EventConsumer "${w.name}"`, w.command, w.command, 'SYSTEM'));
    }
  } else {
    ctx.problem('persistence', null, `WMI subscriptions: ${firstLine(wmi)}`);
  }
  return out;
}
