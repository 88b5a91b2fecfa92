import { describe, expect, it } from 'vitest';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { ScanContext } from '../main/engine/scan/scan-context.js';
import { nodeScanFs } from '../main/engine/scan/scan-fs.js';
import {
  collectDefenderExclusions,
  collectWindowsPersistence,
  DEFENDER_SCRIPT,
  judgeDefenderExclusion,
  parseDefenderCsv,
  parseWmiConsumersCsv,
  RUN_KEYS,
  type ToolRunner,
  WMI_SCRIPT,
} from '../main/engine/scan/windows-persistence.js';
import type { RunResult } from '../main/engine/util/exec.js';

// Hand-made samples in the layout `ConvertTo-Csv -NoTypeInformation` writes (quoted, CRLF).
const result = (stdout: string, ok = true, code: number | null = 0, stderr = ''): RunResult => ({
  ok,
  stdout,
  stderr,
  code: ok ? 0 : code,
  timedOut: false,
  ...(ok ? {} : { error: `failed with ${code}` }),
});

const DEFENDER_ADMIN = [
  '"Kind","Value"',
  '"Path","C:\\Program Files\\Steam\\steamapps"',
  '"Path","C:\\Users\\alice\\AppData\\Local\\Temp"',
  '"Path","C:\\"',
  '"Path","%TEMP%\\sys"',
  '"Path","C:\\ProgramData\\xmr"',
  '"Process","C:\\Users\\alice\\Downloads\\nicehash\\excavator.exe"',
  '"Process","devenv.exe"',
  '',
].join('\r\n');

// What non-administrators get: Get-MpPreference answers, with a placeholder instead of each list.
const DEFENDER_NOT_ADMIN = [
  '"Kind","Value"',
  '"Path","N/A: Must be an administrator to view exclusions"',
  '"Process","N/A: Must be an administrator to view exclusions"',
].join('\r\n');

const WMI_BOUND = [
  '"Kind","Name","Command","Bound","Filter"',
  '"CommandLine","SCM Event Log Consumer","%SystemRoot%\\system32\\scrcons.exe","False",""',
  '"CommandLine","Updater","C:\\Users\\Public\\svchost.exe -o stratum+tcp://pool.example:3333","True","SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA \'Win32_PerfFormattedData_PerfOS_System\' AND TargetInstance.SystemUpTime >= 240"',
].join('\r\n');

describe('Defender exclusions', () => {
  it('reads paths and processes, and flags temp folders, whole drives, writable folders and miner names', () => {
    const parsed = parseDefenderCsv(DEFENDER_ADMIN);
    expect(parsed.readable).toBe(true);
    if (!parsed.readable) return;
    expect(parsed.exclusions.map((e) => [e.kind, judgeDefenderExclusion(e).length])).toEqual([
      ['path', 0],
      ['path', 1],
      ['path', 1],
      ['path', 1],
      ['path', 2],
      ['process', 2],
      ['process', 0],
    ]);
    expect(judgeDefenderExclusion(parsed.exclusions[1]!)).toEqual([
      'excludes a temporary folder (C:\\Users\\alice\\AppData\\Local\\Temp), where droppers put the programs they run',
    ]);
    expect(judgeDefenderExclusion(parsed.exclusions[2]!)).toEqual([
      'excludes a whole drive (C:\\) from Defender scans',
    ]);
    expect(judgeDefenderExclusion(parsed.exclusions[4]!)).toEqual([
      'excludes a folder any program of the user can write (C:\\ProgramData\\xmr)',
      'names a miner (C:\\ProgramData\\xmr)',
    ]);
    expect(judgeDefenderExclusion({ kind: 'path', value: 'C:/Windows/Temp/' })).toHaveLength(1);
  });

  it('says "not readable without administrator rights" rather than "no exclusions"', () => {
    expect(parseDefenderCsv(DEFENDER_NOT_ADMIN)).toEqual({
      readable: false,
      reason: 'not readable without administrator rights',
    });
    expect(parseDefenderCsv('"Kind","Value"\r\n')).toEqual({ readable: true, exclusions: [] });
    expect(parseDefenderCsv('Get-MpPreference : Invalid class').readable).toBe(false);
  });

  it('runs one fixed PowerShell command and reports what it could not read', async () => {
    const calls: string[][] = [];
    const admin: ToolRunner = async (file, args) => {
      calls.push([file, ...args]);
      return result(DEFENDER_ADMIN);
    };
    const ctx = new ScanContext('win32', '/', nodeScanFs, undefined);
    const flagged = await collectDefenderExclusions(ctx, admin);
    expect(calls).toEqual([
      ['powershell.exe', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', DEFENDER_SCRIPT],
    ]);
    expect(flagged.map((f) => f.exclusion.value)).toEqual([
      'C:\\Users\\alice\\AppData\\Local\\Temp',
      'C:\\',
      '%TEMP%\\sys',
      'C:\\ProgramData\\xmr',
      'C:\\Users\\alice\\Downloads\\nicehash\\excavator.exe',
    ]);
    expect(ctx.problems).toEqual([]);

    for (const run of [
      (async () => result(DEFENDER_NOT_ADMIN)) as ToolRunner,
      (async () => result('', false, 1, 'Get-MpPreference : Access is denied. (0x80070005)')) as ToolRunner,
    ]) {
      const c = new ScanContext('win32', '/', nodeScanFs, undefined);
      expect(await collectDefenderExclusions(c, run)).toEqual([]);
      expect(c.problems.map((p) => p.message)).toEqual([
        'Defender exclusions: not readable without administrator rights',
      ]);
    }
    const broken = new ScanContext('win32', '/', nodeScanFs, undefined);
    await collectDefenderExclusions(broken, async () => result('', false, null));
    expect(broken.problems.map((p) => p.message)).toEqual(['Defender exclusions: failed with null']);
  });
});

describe('Defender exclusions in a Windows deep scan', () => {
  it('become high findings naming the exclusion, with the command that removes it', async () => {
    const run: ToolRunner = async (file, args) => {
      if (file === 'powershell.exe' && args.includes(DEFENDER_SCRIPT)) return result(DEFENDER_ADMIN);
      return result('', false, 1);
    };
    const r = await runDeepScan({
      platform: 'win32',
      runTool: run,
      domains: new DomainList([], 'test'),
      steps: ['persistence'],
      snapshot: async () => ({ procs: [], listed: new Set(), unreadable: 0 }),
    });
    const defender = r.findings.filter((f) => f.persistence?.kind === 'defender-exclusion');
    expect(defender.map((f) => f.persistence?.text).sort()).toEqual(
      [
        'path exclusion: C:\\Users\\alice\\AppData\\Local\\Temp',
        'path exclusion: C:\\',
        'path exclusion: %TEMP%\\sys',
        'path exclusion: C:\\ProgramData\\xmr',
        'process exclusion: C:\\Users\\alice\\Downloads\\nicehash\\excavator.exe',
      ].sort(),
    );
    const temp = defender.find((f) => f.persistence?.text.endsWith('Local\\Temp'))!;
    expect(temp.severity).toBe('high');
    expect(temp.title).toBe(
      'Defender exclusion: excludes a temporary folder (C:\\Users\\alice\\AppData\\Local\\Temp), where droppers put the programs they run',
    );
    // The reason is stated once, not twice.
    expect(temp.evidence.filter((e) => e.startsWith('excludes a temporary folder'))).toHaveLength(1);
    expect(temp.actions).toEqual([
      {
        kind: 'manual',
        text: "Remove the exclusion in Windows Security (Virus & threat protection settings, Exclusions) or as administrator: Remove-MpPreference -ExclusionPath 'C:\\Users\\alice\\AppData\\Local\\Temp'",
      },
    ]);
    // The harmless one (a game library) is listed nowhere as a finding.
    expect(r.findings.some((f) => f.evidence.some((e) => e.includes('steamapps')))).toBe(false);
  });
});

describe('WMI event subscriptions with their filters', () => {
  it('reads whether each consumer is bound and the WQL query that starts it', () => {
    expect(parseWmiConsumersCsv(WMI_BOUND)).toEqual([
      {
        kind: 'CommandLine',
        name: 'SCM Event Log Consumer',
        command: '%SystemRoot%\\system32\\scrcons.exe',
        bound: false,
        filter: null,
      },
      {
        kind: 'CommandLine',
        name: 'Updater',
        command: 'C:\\Users\\Public\\svchost.exe -o stratum+tcp://pool.example:3333',
        bound: true,
        filter: expect.stringMatching(/^SELECT \* FROM __InstanceModificationEvent/),
      },
    ]);
    for (const cls of [
      '__EventFilter',
      '__FilterToConsumerBinding',
      'CommandLineEventConsumer',
      'ActiveScriptEventConsumer',
    ])
      expect(WMI_SCRIPT).toContain(`-ClassName ${cls}`);
  });

  it('puts the filter into the entry notes', async () => {
    const run: ToolRunner = async (file, args) => {
      if (file === 'reg') return result('', false, 1);
      if (file === 'schtasks') return result('');
      if (args.at(-1) === DEFENDER_SCRIPT) return result('"Kind","Value"\r\n');
      expect(args.at(-1)).toBe(WMI_SCRIPT);
      return result(WMI_BOUND);
    };
    const ctx = new ScanContext('win32', '/', nodeScanFs, undefined);
    const entries = await collectWindowsPersistence(ctx, run);
    expect(entries.map((e) => [e.location, e.notes])).toEqual([
      [
        'WMI CommandLineEventConsumer "SCM Event Log Consumer"',
        ['no event filter is bound to it, so it does not run until one is'],
      ],
      ['WMI CommandLineEventConsumer "Updater"', [expect.stringMatching(/^started by the WMI event filter: SELECT/)]],
    ]);
    expect(RUN_KEYS).toContain('HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce');
  });
});
