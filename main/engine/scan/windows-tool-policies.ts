/**
 * Windows tools a miner kit disables so the user cannot see or undo it: Task Manager and Registry
 * Editor (and the command prompt) turned off by policy values, and Task Manager, Registry Editor
 * or another monitor hijacked through Image File Execution Options (a `Debugger` value makes
 * Windows start that program instead). Read with `reg query` through the scan's tool runner (fixed
 * arguments, never a shell); the parsers are pure and tested on hand-made samples.
 */
import type { Severity } from '../../../shared/detection.js';
import type { NewFinding } from './findings.js';
import { abortable, type ScanContext } from './scan-context.js';
import { parseRegQuery, type RegValue, type ToolRunner } from './windows-persistence.js';

const STEP = 'tamper' as const;
const TIMEOUT_MS = 20_000;

export interface PolicyValue {
  /** Our own spelling of the key (the user's copy-paste commands use it, not the machine's text). */
  key: string;
  name: string;
  /** What it turns off, for the title. */
  tool: string;
  /** What each non-zero value means. */
  meaning: (v: number) => string;
}

const SYSTEM_POLICIES = 'Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\System';

export const POLICY_VALUES: readonly PolicyValue[] = [
  ...['HKCU', 'HKLM'].flatMap((hive) => [
    {
      key: `${hive}\\${SYSTEM_POLICIES}`,
      name: 'DisableTaskMgr',
      tool: 'Task Manager',
      meaning: () => 'Task Manager will not open',
    },
    {
      key: `${hive}\\${SYSTEM_POLICIES}`,
      name: 'DisableRegistryTools',
      tool: 'Registry Editor',
      meaning: (v: number) =>
        v === 2 ? 'Registry Editor will not open (reg files still import silently)' : 'Registry Editor will not open',
    },
  ]),
  {
    key: 'HKCU\\Software\\Policies\\Microsoft\\Windows\\System',
    name: 'DisableCMD',
    tool: 'the command prompt',
    meaning: (v: number) =>
      v === 2
        ? 'the command prompt will not open (batch files still run)'
        : 'the command prompt and batch files will not run',
  },
];

/** A REG_DWORD as `reg query` prints it (`0x1`); null for anything else. */
export function dwordOf(v: RegValue): number | null {
  if (v.type !== 'REG_DWORD') return null;
  const m = /^0x([0-9a-f]{1,8})$/i.exec(v.data.trim());
  return m ? Number.parseInt(m[1] as string, 16) : null;
}

export const IFEO_KEY = 'HKLM\\Software\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options';

/** Programs whose hijacking blinds the user: the monitors, the registry editor, Idlewatch itself. */
const WATCHED_PROGRAMS = new Set([
  'taskmgr.exe',
  'regedit.exe',
  'perfmon.exe',
  'resmon.exe',
  'procexp.exe',
  'procexp64.exe',
  'procmon.exe',
  'procmon64.exe',
  'processhacker.exe',
  'systeminformer.exe',
  'autoruns.exe',
  'autoruns64.exe',
  'mmc.exe',
  'msconfig.exe',
  'idlewatch.exe',
]);

/** Task Manager replaced by a better monitor on purpose (Process Explorer's "Replace Task Manager", System Informer). */
const MONITOR_REPLACEMENT = /(?:^|[\\/"])(?:procexp(?:64)?|processhacker|systeminformer)\.exe"?(?:\s|$)/i;

export interface IfeoHijack {
  program: string;
  debugger: string;
}

/** `reg query IFEO /s /v Debugger`: the watched programs given a Debugger, except a monitor replacing Task Manager. */
export function ifeoHijacks(text: string): IfeoHijack[] {
  const out: IfeoHijack[] = [];
  for (const v of parseRegQuery(text)) {
    if (v.name.toLowerCase() !== 'debugger' || v.data.trim() === '') continue;
    const program = (v.key.split('\\').pop() ?? '').toLowerCase();
    if (!WATCHED_PROGRAMS.has(program)) continue;
    if (program === 'taskmgr.exe' && MONITOR_REPLACEMENT.test(v.data)) continue;
    out.push({ program, debugger: v.data.trim() });
  }
  return out;
}

function toolRun(ctx: ScanContext, run: ToolRunner, args: readonly string[]) {
  return abortable(run('reg', args, { timeoutMs: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 }), ctx.signal);
}

const WHY =
  'malware turns these tools off so the user cannot see what runs or undo its changes; a home PC has no reason to';

/**
 * Policy values and IFEO hijacks as findings; `checked` counts the places read (a key that is not
 * there was read, and holds nothing); a query that fails is a problem.
 */
export async function collectToolPolicies(
  ctx: ScanContext,
  run: ToolRunner,
): Promise<{ findings: NewFinding[]; checked: number }> {
  const findings: NewFinding[] = [];
  let checked = 0;
  const byKey = new Map<string, PolicyValue[]>();
  for (const p of POLICY_VALUES) byKey.set(p.key, [...(byKey.get(p.key) ?? []), p]);
  for (const [key, wanted] of byKey) {
    ctx.checkAbort();
    const r = await toolRun(ctx, run, ['query', key]);
    // Exit code 1: no such key, which is how a machine without these policies looks.
    if (!r.ok) {
      if (r.code === 1) checked++;
      else ctx.problem(STEP, key, `reg query ${key}: ${r.error ?? 'failed'}`);
      continue;
    }
    checked++;
    const values = parseRegQuery(r.stdout);
    for (const p of wanted) {
      const v = values.find((x) => x.name.toLowerCase() === p.name.toLowerCase());
      const n = v ? dwordOf(v) : null;
      if (!v || n === null || n === 0) continue;
      const severity: Severity = 'medium';
      findings.push({
        key: `${key}\\${p.name}`,
        rule: 'tool-disabled',
        severity,
        title: `${p.tool} is disabled by policy (${p.name} = ${n} under ${key.slice(0, 4)})`,
        evidence: [
          `${key} : ${p.name} = ${v.data} (${v.type}): ${p.meaning(n)}`,
          WHY,
          'on a PC managed by an organisation a Group Policy may set it on purpose, and sets it back after removal',
        ],
        persistence: {
          kind: 'registry-policy',
          file: null,
          line: null,
          text: `${p.name}    ${v.type}    ${v.data}`,
          command: '',
          location: `${key} : ${p.name}`,
          runAs: key.startsWith('HKCU') ? 'current user' : 'every user',
          fileState: null,
        },
        actions: [
          {
            kind: 'manual',
            text: `If no administrator of your organisation set it, delete the value${key.startsWith('HKLM') ? ' as administrator' : ''}: reg delete "${key}" /v ${p.name} /f`,
          },
        ],
      });
    }
  }
  ctx.checkAbort();
  const ifeo = await toolRun(ctx, run, ['query', IFEO_KEY, '/s', '/v', 'Debugger']);
  if (ifeo.ok) {
    checked++;
    for (const h of ifeoHijacks(ifeo.stdout)) {
      const key = `${IFEO_KEY}\\${h.program}`;
      findings.push({
        key,
        rule: 'tool-disabled',
        severity: 'high',
        title: `${h.program} is hijacked: Windows starts ${h.debugger.slice(0, 120)} instead (Image File Execution Options)`,
        evidence: [
          `${key} : Debugger = ${h.debugger}`,
          `whenever ${h.program} is started, Windows runs the Debugger program instead, with ${h.program} as its argument: a way to block a monitor or run code in its place`,
        ],
        persistence: {
          kind: 'registry-policy',
          file: null,
          line: null,
          text: `Debugger    REG_SZ    ${h.debugger}`,
          command: h.debugger,
          location: `${key} : Debugger`,
          runAs: 'every user',
          fileState: null,
        },
        actions: [
          {
            kind: 'manual',
            text: `As administrator: reg delete "${key}" /v Debugger /f, then find the program it named and what put it there`,
          },
        ],
      });
    }
  } else if (ifeo.code === 1) {
    checked++; // no Debugger value anywhere under it
  } else {
    ctx.problem(STEP, IFEO_KEY, `reg query ${IFEO_KEY}: ${ifeo.error ?? 'failed'}`);
  }
  return { findings, checked };
}
