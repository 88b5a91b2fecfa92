import { describe, expect, it } from 'vitest';
import type { Incident, RuleId } from '../shared/detection.js';
import type { Platform } from '../shared/trace.js';
import { matchBenign } from '../main/engine/detect/benign.js';
import { steamShaderWork } from '../main/engine/detect/benign-origin.js';
import { detectSamples } from '../main/engine/detect/detector.js';
import { browserRole, identityFindings, minerSignature, type TraceIdentity } from '../main/engine/detect/identity.js';
import {
  inSystemFolder,
  kernelThreadImpostor,
  suspiciousLocation,
  systemNameImpostor,
} from '../main/engine/detect/provenance.js';
import { buildStream, type SimProc } from '../main/engine/detect/sample-builder.js';
import { poolConnection } from '../main/engine/detect/signals/pool.js';

const id = (p: Partial<TraceIdentity> & { name: string }): TraceIdentity => ({
  pid: 4242,
  ppid: 1,
  exe: null,
  cmdline: '',
  user: 'ana',
  startT: 0,
  ...p,
});

const rules = (i: Incident | undefined): RuleId[] => i?.reasons.map((r) => r.rule) ?? [];

function run(platform: Platform, proc: SimProc): Incident | undefined {
  const s = buildStream({ platform, session: [{ kind: 'active', sec: 20 }], procs: [proc] });
  return detectSamples(s.header, s.samples).find((i) => i.pid === proc.pid);
}

describe('platform path rules follow the trace header, not this machine', () => {
  it('win32: svchost.exe in AppData is a system-name impostor', () => {
    const inc = run('win32', {
      pid: 8,
      name: 'svchost.exe',
      exe: 'C:\\Users\\ana\\AppData\\Roaming\\Microsoft\\svchost.exe',
    });
    expect(inc?.severity).toBe('medium');
    expect(inc?.reasons[0]).toEqual({
      rule: 'system-name-impostor',
      detail:
        'named like the system program svchost.exe, but runs from C:\\Users\\ana\\AppData\\Roaming\\Microsoft\\svchost.exe; the real one lives in C:\\Windows (System32)',
    });
  });

  it('win32: the genuine svchost.exe, and NVDisplay.Container.exe from the driver store, are fine', () => {
    expect(systemNameImpostor({ name: 'svchost.exe', exe: 'C:\\Windows\\System32\\svchost.exe' }, 'win32')).toBeNull();
    expect(
      systemNameImpostor({ name: 'svchost.exe', exe: '\\\\?\\C:\\WINDOWS\\system32\\svchost.exe' }, 'win32'),
    ).toBeNull();
    expect(
      systemNameImpostor(
        {
          name: 'NVDisplay.Container.exe',
          exe: 'C:\\Windows\\System32\\DriverStore\\FileRepository\\nv_dispi.inf_amd64_1\\Display.NvContainer\\NVDisplay.Container.exe',
        },
        'win32',
      ),
    ).toBeNull();
    expect(
      systemNameImpostor(
        { name: 'NVDisplay.Container.exe', exe: 'C:\\ProgramData\\nv\\NVDisplay.Container.exe' },
        'win32',
      )?.posedAs,
    ).toBe('nvdisplay.container.exe');
    // One letter off, outside the system folder.
    expect(systemNameImpostor({ name: 'scvhost.exe', exe: 'C:\\Users\\Public\\scvhost.exe' }, 'win32')).toMatchObject({
      typo: true,
    });
  });

  it('linux: kswapd0 running /tmp/.x/kswapd0 is a kernel-thread impostor from a hidden temp folder', () => {
    const inc = run('linux', { pid: 9, name: 'kswapd0', exe: '/tmp/.x/kswapd0', cmdline: './kswapd0' });
    expect(rules(inc)).toEqual(expect.arrayContaining(['kernel-thread-impostor', 'temp-folder-executable']));
    expect(inc?.severity).toBe('medium');
    expect(inc?.reasons.find((r) => r.rule === 'temp-folder-executable')?.detail).toBe(
      'runs from a temporary folder (/tmp) and a hidden folder (.x): /tmp/.x/kswapd0',
    );
  });

  it('linux: real kernel threads (no program, no command line, parent 2) are left alone', () => {
    expect(kernelThreadImpostor({ pid: 91, ppid: 2, name: 'kswapd0', exe: null, cmdline: '' }, 'linux')).toBeNull();
    expect(
      kernelThreadImpostor({ pid: 92, ppid: 2, name: 'kworker/u16:3-events_unbound', exe: null, cmdline: '' }, 'linux'),
    ).toBeNull();
    // An unprivileged recorder cannot read the exe, but the command line betrays it.
    expect(
      kernelThreadImpostor({ pid: 93, ppid: 1, name: 'kworker/0:2', exe: null, cmdline: '[kworker/0:2]' }, 'linux')
        ?.posedAs,
    ).toBe('kworker/0:2');
    expect(
      kernelThreadImpostor({ pid: 94, ppid: 1200, name: 'ksoftirqd/1', exe: null, cmdline: '' }, 'linux')?.evidence,
    ).toMatch(/parent is process 1200/);
    // Path rules belong to the trace's platform: the same process in a Windows trace is not judged as Linux.
    expect(
      kernelThreadImpostor({ pid: 95, ppid: 1, name: 'kswapd0', exe: '/tmp/.x/kswapd0', cmdline: '' }, 'win32'),
    ).toBeNull();
  });

  it('the same Windows path in a linux trace is not a Windows impostor', () => {
    expect(
      systemNameImpostor({ name: 'svchost.exe', exe: 'C:\\Users\\ana\\AppData\\Roaming\\svchost.exe' }, 'linux'),
    ).toBeNull();
  });

  it('finds temp, cache and hidden folders per platform', () => {
    expect(suspiciousLocation('/home/ana/.cache/.nv/nvhelper', 'linux').map((f) => f.kind)).toEqual([
      'cache',
      'hidden',
    ]);
    expect(suspiciousLocation('/dev/shm/x', 'linux').map((f) => f.kind)).toEqual(['temp']);
    expect(suspiciousLocation('/home/ana/.local/share/Steam/ubuntu12_64/fossilize_replay', 'linux')).toEqual([]);
    expect(suspiciousLocation('/tmp/.mount_CuraXyz/usr/bin/cura', 'linux')).toEqual([]);
    expect(suspiciousLocation('C:\\Users\\ana\\AppData\\Local\\Temp\\x\\upd.exe', 'win32').map((f) => f.kind)).toEqual([
      'temp',
    ]);
    expect(
      suspiciousLocation('C:\\Users\\ana\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe', 'win32'),
    ).toEqual([]);
    expect(suspiciousLocation('C:\\Users\\ana\\.vscode\\extensions\\x\\bin\\tool.exe', 'win32')).toEqual([]);
    expect(suspiciousLocation('/private/var/folders/xy/abc/T/upd', 'darwin').map((f) => f.kind)).toEqual(['temp']);
    expect(
      suspiciousLocation('/private/var/folders/xy/abc/T/AppTranslocation/1/d/App.app/Contents/MacOS/App', 'darwin'),
    ).toEqual([]);
    expect(suspiciousLocation('/Users/ana/Library/Caches/com.x/helper', 'darwin').map((f) => f.kind)).toEqual([
      'cache',
    ]);
  });

  it('knows the system folders of each platform', () => {
    expect(inSystemFolder('C:\\Windows\\System32\\FileHistory.exe', 'win32')).toBe(true);
    expect(inSystemFolder('/usr/libexec/packagekitd', 'linux')).toBe(true);
    expect(inSystemFolder('/usr/local/bin/nvhelper', 'linux')).toBe(false);
    expect(inSystemFolder('/System/Library/CoreServices/backupd.bundle/Contents/Resources/backupd', 'darwin')).toBe(
      true,
    );
    expect(inSystemFolder('/usr/libexec/packagekitd', 'win32')).toBe(false);
  });

  it('a deleted executable counts, a fileless one more, an updated package hardly', () => {
    expect(identityFindings(id({ name: 'upd', exe: '/tmp/.font-unix/upd (deleted)' }), 'linux').deleted).toEqual({
      packaged: false,
      memfd: false,
    });
    expect(identityFindings(id({ name: 'x', exe: '/memfd: (deleted)' }), 'linux').deleted).toEqual({
      packaged: false,
      memfd: true,
    });
    expect(
      identityFindings(id({ name: 'firefox', exe: '/usr/lib/firefox/firefox (deleted)' }), 'linux').deleted,
    ).toEqual({ packaged: true, memfd: false });
    const inc = run('linux', { pid: 12, name: 'x', exe: '/memfd: (deleted)' });
    expect(inc?.reasons[0]?.rule).toBe('deleted-executable');
  });
});

describe('miner signatures', () => {
  it('recognises mining command lines and miner names', () => {
    const strong = [
      'xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u 4AbC -p x',
      './sysd --donate-level 1 -o 1.2.3.4:80',
      'helper -a rx/0 -o pool.example.org:443 -u w',
      'conhost.exe --algo="rx/0" --url=gulf.moneroocean.stream:10128 --cpu-max-threads-hint=40',
      'nvsvc --cuda --coin ETC -o eu1.example.net:4444',
    ];
    for (const cmd of strong)
      expect(minerSignature(id({ name: 'x', cmdline: cmd }), 'linux')?.strength, cmd).toBe('strong');
    expect(minerSignature(id({ name: 'xmrig-6.21.0', exe: '/opt/x/xmrig-6.21.0' }), 'linux')).toMatchObject({
      strength: 'name',
    });
    expect(minerSignature(id({ name: 'T-Rex.exe', exe: 'C:\\m\\t-rex.exe' }), 'win32')?.detail).toMatch(
      /known miner \(t-rex\)/,
    );
    expect(minerSignature(id({ name: 'kdevtmpfsi', exe: '/tmp/kdevtmpfsi' }), 'linux')).not.toBeNull();
  });

  it('does not flag ordinary programs that merely look alike', () => {
    const benign = [
      id({ name: 'tracker-miner-fs-3', exe: '/usr/libexec/tracker-miner-fs-3' }),
      id({ name: 'ssh', exe: '/usr/bin/ssh', cmdline: 'ssh -o StrictHostKeyChecking=no -p 2222 host' }),
      id({ name: 'curl', exe: '/usr/bin/curl', cmdline: 'curl -o out.bin https://example.com/file' }),
      id({ name: 'docker', exe: '/usr/bin/docker', cmdline: 'docker run -p 8080:80 nginx' }),
      id({ name: 'gunicorn', exe: '/usr/bin/python3', cmdline: 'gunicorn -w 4 app:app' }),
      id({ name: 'minecraft', exe: '/opt/minecraft/minecraft' }),
    ];
    for (const p of benign) expect(minerSignature(p, 'linux'), p.cmdline || p.name).toBeNull();
  });

  it('sees pool ports on live connections only, not local ones', () => {
    expect(poolConnection([{ proto: 'tcp', remote: '203.0.113.9:14444', state: 'ESTABLISHED' }])).toBe(
      '203.0.113.9:14444',
    );
    expect(poolConnection([{ proto: 'tcp', remote: '[2001:db8::1]:3333', state: 'ESTABLISHED' }])).toBe(
      '[2001:db8::1]:3333',
    );
    expect(poolConnection([{ proto: 'tcp', remote: '203.0.113.9:443', state: 'ESTABLISHED' }])).toBeNull();
    expect(poolConnection([{ proto: 'tcp', remote: '127.0.0.1:3333', state: 'ESTABLISHED' }])).toBeNull();
    expect(poolConnection([{ proto: 'tcp', remote: '203.0.113.9:3333', state: 'TIME_WAIT' }])).toBeNull();
  });

  it('tells browser processes and their roles apart', () => {
    expect(
      browserRole({ name: 'chrome', exe: '/opt/google/chrome/chrome', cmdline: 'chrome --type=renderer' }, 'linux'),
    ).toBe('renderer (a tab)');
    expect(
      browserRole({ name: 'Isolated Web Co', exe: '/usr/lib/firefox/firefox', cmdline: '-contentproc' }, 'linux'),
    ).toBe('content process (a tab)');
    expect(
      browserRole(
        {
          name: 'msedge.exe',
          exe: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
          cmdline: '--type=gpu-process',
        },
        'win32',
      ),
    ).toBe('GPU process');
    expect(browserRole({ name: 'code', exe: '/usr/share/code/code', cmdline: '--type=renderer' }, 'linux')).toBeNull();
  });
});

describe('benign identities need the right place too', () => {
  it('Steam shader pre-caching from the Steam folder is benign; the same name as a hostile program is not', () => {
    const real = id({ name: 'fossilize_replay', exe: '/home/ana/.local/share/Steam/ubuntu12_64/fossilize_replay' });
    // The name and the folder are claims: Steam starting it is what makes it Steam's (benign-origin.ts).
    expect(matchBenign(real, 'linux')).toBeNull();
    const steam = { pid: 500, ppid: 1, name: 'steam', exe: '/home/ana/.local/share/Steam/ubuntu12_32/steam' };
    expect(steamShaderWork(real, [{ ...steam, cmdline: '', user: 'ana', peer: null }], 'linux')?.kind).toBe('steam');
    expect(steamShaderWork(real, [], 'linux')).toBeNull();
    const fake = id({ name: 'fossilize_replay', exe: '/tmp/.x/fossilize_replay' });
    const findings = identityFindings(fake, 'linux');
    expect(findings.locations.length).toBeGreaterThan(0);
    // The detector drops the benign reading when the identity is hostile:
    const inc = run('linux', { pid: 13, name: 'fossilize_replay', exe: '/tmp/.x/fossilize_replay' });
    expect(rules(inc)).not.toContain('benign-idle-work');
  });

  it('system maintenance only from the system folder; Linux names are matched despite the 15-character limit', () => {
    expect(matchBenign(id({ name: 'updatedb.plocat', exe: '/usr/sbin/updatedb.plocate' }), 'linux')?.entry.kind).toBe(
      'os-maintenance',
    );
    expect(matchBenign(id({ name: 'mandb', exe: null, user: 'man' }), 'linux')?.entry.kind).toBe('os-maintenance');
    expect(matchBenign(id({ name: 'mandb', exe: '/home/ana/.local/bin/mandb' }), 'linux')).toBeNull();
    expect(
      matchBenign(id({ name: 'FileHistory.exe', exe: 'C:\\Windows\\System32\\FileHistory.exe' }), 'win32')?.entry.kind,
    ).toBe('os-maintenance');
    // Binaries malware runs through prove nothing by their folder.
    expect(matchBenign(id({ name: 'rundll32.exe', exe: 'C:\\Windows\\System32\\rundll32.exe' }), 'win32')).toBeNull();
    expect(matchBenign(id({ name: 'python3', exe: '/usr/libexec/python3' }), 'linux')).toBeNull();
  });
});

describe('no impostor false alarms on ordinary names', () => {
  it('user programs that only resemble kernel-thread or system names', () => {
    expect(
      kernelThreadImpostor(
        { pid: 5, ppid: 1, name: 'xfsettingsd', exe: '/usr/bin/xfsettingsd', cmdline: 'xfsettingsd' },
        'linux',
      ),
    ).toBeNull();
    expect(
      kernelThreadImpostor(
        { pid: 6, ppid: 1, name: 'irqbalance', exe: '/usr/sbin/irqbalance', cmdline: 'irqbalance' },
        'linux',
      ),
    ).toBeNull();
    expect(
      systemNameImpostor({ name: 'Service.exe', exe: 'C:\\Program Files\\Vendor\\Service.exe' }, 'win32'),
    ).toBeNull();
    expect(systemNameImpostor({ name: 'systemd', exe: '/usr/lib/systemd/systemd' }, 'linux')).toBeNull();
    expect(systemNameImpostor({ name: 'systemd', exe: '/tmp/systemd' }, 'linux')?.posedAs).toBe('systemd');
    expect(
      systemNameImpostor(
        { name: 'nvhelper', exe: '/Users/ana/Library/Application Support/com.apple.nvhelper/nvhelper' },
        'darwin',
      )?.posedAs,
    ).toBe('com.apple.nvhelper');
    expect(
      systemNameImpostor(
        {
          name: 'mds_stores',
          exe: '/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Support/mds_stores',
        },
        'darwin',
      ),
    ).toBeNull();
  });
});

describe('Windows folders', () => {
  it('programs in Windows folders that hold none are suspicious, and not OS maintenance', () => {
    expect(suspiciousLocation('C:\\Windows\\Fonts\\sysfont.exe', 'win32').map((f) => f.where)).toEqual([
      'a Windows folder that holds no programs',
    ]);
    expect(suspiciousLocation('C:\\Windows\\System32\\spool\\drivers\\color\\x.exe', 'win32')).toHaveLength(1);
    expect(suspiciousLocation('C:\\Windows\\System32\\svchost.exe', 'win32')).toEqual([]);
    expect(matchBenign(id({ name: 'sysfont.exe', exe: 'C:\\Windows\\Fonts\\sysfont.exe' }), 'win32')).toBeNull();
    expect(matchBenign(id({ name: 'HelpPane.exe', exe: 'C:\\Windows\\HelpPane.exe' }), 'win32')?.entry.kind).toBe(
      'os-maintenance',
    );
  });
});

describe('Microsoft data folders', () => {
  it('a program under AppData\\Roaming\\Microsoft is out of place; AppData\\Local\\Microsoft apps are not', () => {
    expect(suspiciousLocation('C:\\Users\\ana\\AppData\\Roaming\\Microsoft\\Crypto\\upd.exe', 'win32')).toHaveLength(1);
    expect(suspiciousLocation('C:\\Users\\ana\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe', 'win32')).toEqual(
      [],
    );
  });
});
