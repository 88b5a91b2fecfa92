/**
 * Miners whose tell is WHERE they come from or what they pretend to be: temp and dot-folders,
 * explicit stratum command lines, kernel-thread and Windows system names in the wrong folder,
 * deleted or memfd executables, browser tabs, harmless-looking names.
 */
import { computeGpu, httpsConn, POOL_HOSTS, poolConn, winPaths, xmrWallet } from '../hosts.js';
import type { Actor, Level } from '../model.js';
import {
  actor,
  basename,
  cpuMining,
  type Family,
  gpuMining,
  idleWork,
  noisy,
  session,
  setup,
  spans,
  wholeTrace,
} from './common.js';
import { awayKinds, exeName, gpuMinerArgs, miner, minerCmdline, type Os, plan, xmrigArgs } from './miner-kit.js';

const alwaysOnTemp: Family = {
  family: 'always-on-temp-folder',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os: Os = v % 2 === 0 ? 'linux' : 'win32';
    const s = setup(rng, { platform: os, collectsConns: true });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host.home;
    const p = winPaths(s.host);
    const base = exeName(s, rng.pick(['xm', 'x', 'nvtemp', 'upd', 'sshd', 'cache']));
    const exe =
      os === 'win32'
        ? rng.pick([
            `${p.temp}\\${base}`,
            `${p.appData}\\Microsoft\\Crypto\\${base}`,
            `${p.temp}\\${rng.alnum(8)}.tmp\\${base}`,
          ])
        : rng.pick([`/tmp/.x/${base}`, `${h}/.cache/.nv/${base}`, `/var/tmp/.ICE-unix/${base}`]);
    // Throttled to a quarter or half of the machine: xmrig's threads hint, or a GPU intensity cap.
    const gpu = rng.chance(0.4);
    const hint = rng.pick([25, 30, 40, 50]);
    const level: Level = gpu
      ? { gpu: noisy(rng.range(35, 55), 4), cpu: noisy(2, 0.5), gpuMemMiB: 2400 }
      : { cpu: noisy((s.host.cpuCores * 100 * hint) / 100, s.host.cpuCores * 2) };
    const conns = [poolConn(rng, { tls: rng.chance(0.3) })];
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: rng.chance(0.5)
        ? gpu
          ? gpuMinerArgs(rng, exe)
          : xmrigArgs(rng, exe, { threadsHint: hint })
        : minerCmdline(rng, exe, gpu ? 'gpu' : 'cpu'),
      kind: gpu ? 'gpu' : 'cpu',
      level,
      trigger: 'always',
      conns,
    });
    return {
      summary: `${os} always-on throttled ${gpu ? 'GPU' : 'CPU'} miner in ${exe} with a pool connection (${conns[0]?.remote})`,
      plan: plan(s, tl, [a]),
    };
  },
};

const browserTab: Family = {
  family: 'browser-tab-miner',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os: Os = (['linux', 'win32', 'linux', 'win32', 'darwin', 'linux'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os, scale: rng.pick(['normal', 'heavy']) });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    // Coinhive-style WebAssembly miners: a few worker threads, throttled, run when the page sees the
    // user idle (Idle Detection API, or no input events for a while).
    const threads = rng.int(2, Math.min(8, h.cpuCores));
    const throttle = rng.range(0.4, 0.9);
    const webgpu = v === 5;
    const level: Level = { cpu: noisy(threads * 100 * throttle, threads * 6) };
    const after = rng.pick([30, 60, 120]);
    const windows = idleWork(tl, rng, { afterIdleSec: after, delaySec: [0, 20], stopSec: [0.5, 2], minRunSec: 20 });
    const firefox = os === 'linux' && v === 2;
    let exe: string;
    let name: string;
    let cmdline: string;
    if (os === 'win32') {
      exe = rng.chance(0.5)
        ? 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe'
        : 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
      name = basename(exe);
      cmdline = `"${exe}" --type=renderer --lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1.25 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=${rng.int(20, 60)} --mojo-platform-channel-handle=${rng.int(4000, 9000)} /prefetch:1`;
    } else if (os === 'darwin') {
      exe =
        '/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/142.0.7444.60/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/Google Chrome Helper (Renderer)';
      name = 'Google Chrome Helper (Renderer)';
      cmdline = `${exe} --type=renderer --renderer-client-id=${rng.int(20, 60)}`;
    } else if (firefox) {
      exe = '/usr/lib/firefox/firefox';
      name = 'Isolated Web Co';
      cmdline = `${exe} -contentproc -isForBrowser -prefsHandle 0:36 -prefMapHandle 1:270 -jsInitHandle 2:230 -parentBuildID 20251118 -sandboxingKind 0 -appDir /usr/lib/firefox/browser {${rng.hex(8)}} ${rng.int(20, 60)} true tab`;
    } else {
      exe = '/opt/google/chrome/chrome';
      name = 'chrome';
      cmdline = `${exe} --type=renderer --crashpad-handler-pid=0 --enable-crash-reporter= --extension-process=false --change-stack-guard-on-fork=enable --lang=en-US --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=${rng.int(20, 60)}`;
    }
    const parent = os === 'linux' ? (firefox ? 'firefox' : 'chrome') : 'browser';
    const lives = wholeTrace(rng, [120, 3000]);
    const actors: Actor[] = [
      actor({
        key: 'tab',
        role: 'target',
        name,
        exe,
        cmdline,
        user: h.user,
        parent,
        lives,
        load: [
          spans(windows, webgpu ? { cpu: noisy(25, 5) } : level, 3000),
          { kind: 'constant', level: { cpu: noisy(0.8, 0.5) } },
        ],
        expect: { onlyWhenIdleSecAtLeast: after, graceSec: 2 },
      }),
    ];
    if (webgpu) {
      // WebGPU work shows up in the browser's GPU process, not in the tab.
      actors.push(
        actor({
          key: 'tab-gpu',
          role: 'target',
          name,
          exe,
          cmdline: `${exe} --type=gpu-process --crashpad-handler-pid=0 --enable-crash-reporter= --change-stack-guard-on-fork=enable --gpu-preferences=WAAAAAAAAAAgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAA --enable-unsafe-webgpu`,
          user: h.user,
          parent,
          lives,
          gpuId: computeGpu(h),
          load: [spans(windows, { gpu: noisy(rng.range(60, 90), 5), cpu: noisy(8, 2), gpuMemMiB: 600 }, 3000)],
          expect: { onlyWhenIdleSecAtLeast: after, graceSec: 2 },
        }),
      );
    }
    const what = webgpu ? 'WebGPU' : `WebAssembly ${threads} threads at ${Math.round(throttle * 100)}%`;
    const browser = firefox ? 'firefox' : exe.includes('msedge') ? 'edge' : 'chrome';
    return {
      summary: `${os} ${firefox ? 'Firefox' : 'Chromium'} tab mining (${what}) only while the user is away`,
      plan: plan(s, tl, actors, { browser }),
    };
  },
};

const xmrigCmdline: Family = {
  family: 'xmrig-cmdline',
  label: 'miner',
  variants: 5,
  build(rng, v) {
    const os: Os = (['linux', 'win32', 'linux', 'darwin', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    const exe =
      os === 'win32'
        ? `${h.home}\\Downloads\\xmrig-6.24.0\\xmrig.exe`
        : os === 'darwin'
          ? `${h.home}/xmrig-6.24.0/xmrig`
          : rng.pick([`${h.home}/xmrig-6.24.0/xmrig`, '/opt/xmrig/xmrig', `${h.home}/.local/bin/xmrig`]);
    const pool = rng.pick(POOL_HOSTS);
    const pause = os === 'win32' && rng.chance(0.7);
    const cmd = [
      `${exe}`,
      '-o',
      `stratum+tcp://${pool}:3333`,
      '-u',
      xmrWallet(rng),
      '--donate-level',
      '1',
      '-a',
      'rx/0',
    ];
    // xmrig pauses itself on Windows with --pause-on-active=N (seconds without input).
    const after = rng.pick([60, 120]);
    if (pause) cmd.push(`--pause-on-active=${after}`);
    if (rng.chance(0.4)) cmd.push('-k', '--tls');
    const threads = Math.max(2, h.cpuCores - rng.int(0, 2));
    const a = miner(rng, {
      s,
      tl,
      name: basename(exe),
      exe,
      cmdline: cmd.join(' '),
      kind: 'cpu',
      level: cpuMining(threads, rng),
      trigger: pause || v === 2 ? 'idle' : 'always',
      afterIdleSec: after,
      conns: [{ proto: 'tcp', remote: `198.51.100.${rng.int(2, 250)}:3333`, state: 'ESTABLISHED' }],
    });
    return {
      summary: `${os} xmrig with an explicit stratum command line${pause ? ' and --pause-on-active' : ''}`,
      plan: plan(s, tl, [a]),
    };
  },
};

const kernelImpostor: Family = {
  family: 'kernel-thread-impostor',
  label: 'miner',
  variants: 5,
  build(rng, v) {
    const s = setup(rng, { platform: 'linux', privileged: rng.chance(0.5) });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    // Real families: Outlaw drops ~/.configrc/a/kswapd0; Kinsing runs /tmp/kdevtmpfsi; others set
    // a kworker-like comm with prctl.
    const pick = (
      [
        { name: 'kswapd0', exe: `${h.home}/.configrc${rng.int(4, 7)}/a/kswapd0`, cmdline: './kswapd0' },
        { name: 'kdevtmpfsi', exe: '/tmp/kdevtmpfsi', cmdline: '/tmp/kdevtmpfsi' },
        { name: 'kworker/0:2', exe: `/dev/shm/.${rng.alnum(3)}/kw`, cmdline: '[kworker/0:2]' },
        { name: 'kswapd0', exe: `/var/tmp/.X2${rng.int(0, 9)}-unix/.rsync/c/kswapd0`, cmdline: 'kswapd0' },
        { name: 'ksoftirqd/1', exe: `/tmp/.ICE-unix/.${rng.alnum(3)}/ksoftirqd`, cmdline: '' },
      ] as const
    )[v] ?? { name: 'kswapd0', exe: '/tmp/kswapd0', cmdline: './kswapd0' };
    const threads = Math.max(2, h.cpuCores - rng.int(0, 2));
    const idle = v >= 3;
    const a = miner(rng, {
      s,
      tl,
      name: pick.name,
      exe: pick.exe,
      cmdline: pick.cmdline,
      kind: 'cpu',
      level: cpuMining(threads, rng),
      trigger: idle ? 'idle' : 'always',
      parent: rng.pick(['systemd', 'cron']),
    });
    return {
      summary: `linux CPU miner disguised as kernel thread "${pick.name}" running ${pick.exe}${idle ? ', only while idle' : ''}`,
      plan: plan(s, tl, [a]),
    };
  },
};

const winImpostor: Family = {
  family: 'windows-system-impostor',
  label: 'miner',
  variants: 5,
  build(rng, v) {
    const s = setup(rng, { platform: 'win32', gpu: 'nvidia' });
    const tl = session(s, { kinds: awayKinds(rng) });
    const p = winPaths(s.host);
    const h = s.host;
    const choice = (
      [
        { name: 'svchost.exe', exe: `${p.appData}\\Microsoft\\svchost.exe`, gpu: true },
        { name: 'RuntimeBroker.exe', exe: `${p.appData}\\Microsoft\\Windows\\RuntimeBroker.exe`, gpu: true },
        { name: 'svchost.exe', exe: `${p.temp}\\svchost.exe`, gpu: false },
        { name: 'dwm.exe', exe: `${p.localAppData}\\Microsoft\\dwm.exe`, gpu: true },
        // Process hollowing: a genuine System32 conhost.exe whose command line carries the
        // miner's options (SilentCryptoMiner and its kin).
        { name: 'conhost.exe', exe: 'C:\\Windows\\System32\\conhost.exe', gpu: false },
      ] as const
    )[v] ?? { name: 'svchost.exe', exe: `${p.appData}\\svchost.exe`, gpu: true };
    const hollow = choice.name === 'conhost.exe';
    const cmdline = hollow
      ? `conhost.exe --cinit-find-x -B --algo="rx/0" --asm=auto --cpu-memory-pool=1 --randomx-mode=auto --randomx-no-rdmsr --cpu-max-threads-hint=40 --url=${rng.pick(POOL_HOSTS)}:10128 --user="${xmrWallet(rng)}" --pass="" --cpu-priority=0 --cinit-idle-wait=5 --cinit-idle-cpu=80 --tls --cinit-stealth-targets="Taskmgr.exe,ProcessHacker.exe,perfmon.exe,procexp.exe"`
      : `"${choice.exe}"`;
    const level = choice.gpu ? gpuMining(rng) : cpuMining(Math.max(2, Math.round(h.cpuCores * 0.4)), rng);
    const a = miner(rng, {
      s,
      tl,
      name: choice.name,
      exe: choice.exe,
      cmdline,
      kind: choice.gpu ? 'gpu' : 'cpu',
      level,
      trigger: 'idle',
      afterIdleSec: hollow ? 300 : undefined,
      parent: hollow ? 'explorer' : undefined,
    });
    return {
      summary: `win32 ${choice.gpu ? 'GPU' : 'CPU'} miner as ${choice.name} in ${choice.exe}, only while idle`,
      plan: plan(s, tl, [a]),
    };
  },
};

const deletedExe: Family = {
  family: 'deleted-executable',
  label: 'miner',
  variants: 4,
  build(rng, v) {
    const s = setup(rng, { platform: 'linux' });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    // The dropper deletes its file after exec, or runs from memfd_create (fileless).
    const choice = (
      [
        { name: 'upd', exe: `/tmp/.font-unix/upd (deleted)`, gpu: false },
        { name: 'x', exe: '/memfd: (deleted)', gpu: false },
        { name: 'dbus-launch', exe: `${h.home}/.cache/dbus-launch (deleted)`, gpu: true },
        { name: rng.alnum(8), exe: `/dev/shm/${rng.alnum(8)} (deleted)`, gpu: true },
      ] as const
    )[v] ?? { name: 'upd', exe: '/tmp/upd (deleted)', gpu: false };
    const threads = Math.max(2, h.cpuCores - 2);
    const level = choice.gpu ? gpuMining(rng) : cpuMining(threads, rng);
    const cmdline = choice.gpu
      ? gpuMinerArgs(rng, choice.name)
      : rng.chance(0.5)
        ? choice.name
        : xmrigArgs(rng, choice.name);
    const idle = v % 2 === 0;
    const a = miner(rng, {
      s,
      tl,
      name: choice.name,
      exe: choice.exe,
      cmdline,
      kind: choice.gpu ? 'gpu' : 'cpu',
      level,
      trigger: idle ? 'idle' : 'always',
    });
    return {
      summary: `linux ${choice.gpu ? 'GPU' : 'CPU'} miner running from a deleted executable (${choice.exe})${idle ? ', only while idle' : ''}`,
      plan: plan(s, tl, [a]),
    };
  },
};

const renamed: Family = {
  family: 'renamed-behaviour-only',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os: Os = (['linux', 'linux', 'win32', 'win32', 'darwin', 'linux'] as const)[v] ?? 'linux';
    // No pool port to see: TLS to 443, or a recorder that lists no connections.
    const s = setup(rng, { platform: os, collectsConns: rng.chance(0.5) });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    const name =
      os === 'win32'
        ? rng.pick(['audiosrv.exe', 'nvhelper.exe', 'GoogleCrashHandler64.exe', 'OneDriveSync.exe'])
        : rng.pick(['nvhelper', 'audiosrv', 'gnome-keyring-helper', 'pulse-helper']);
    const exe =
      os === 'win32'
        ? rng.pick([
            `C:\\Program Files\\Common Files\\${name.replace('.exe', '')}\\${name}`,
            `${winPaths(h).localAppData}\\Programs\\${name.replace('.exe', '')}\\${name}`,
          ])
        : os === 'darwin'
          ? `${h.home}/Library/Application Support/com.${rng.pick(['apple', 'google'])}.${name}/${name}`
          : rng.pick([
              `${h.home}/.local/bin/${name}`,
              `${h.home}/.local/share/${name}/${name}`,
              `/usr/local/bin/${name}`,
            ]);
    const gpu = os !== 'darwin' && rng.chance(0.6);
    const level = gpu
      ? gpuMining(rng, rng.range(85, 99))
      : cpuMining(Math.max(2, Math.floor(h.cpuCores * rng.range(0.5, 0.9))), rng);
    const a = miner(rng, {
      s,
      tl,
      name,
      exe,
      cmdline: rng.chance(0.5) ? exe : `${exe} --config ${rng.pick(['settings.json', 'cfg.dat', '.conf'])}`,
      kind: gpu ? 'gpu' : 'cpu',
      level,
      trigger: 'idle',
      conns: [httpsConn(rng)],
    });
    return {
      summary: `${os} ${gpu ? 'GPU' : 'CPU'} miner named "${name}" in ${exe}: only its behaviour (idle-only, stops on input) gives it away`,
      plan: plan(s, tl, [a]),
    };
  },
};

const macCpu: Family = {
  family: 'macos-launchagent-miner',
  label: 'miner',
  variants: 3,
  build(rng) {
    const s = setup(rng, { platform: 'darwin' });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    const exe = rng.pick([
      `${h.home}/Library/Application Support/.sysupdate/sysupdate`,
      `/Users/Shared/.mdworker/mdworker`,
      `${h.home}/Library/LaunchAgents/.com.apple.softwareupdate/softwareupdated`,
    ]);
    const a = miner(rng, {
      s,
      tl,
      name: basename(exe),
      exe,
      cmdline: minerCmdline(rng, exe, 'cpu'),
      kind: 'cpu',
      level: cpuMining(Math.max(2, h.cpuCores - 2), rng),
      trigger: 'idle',
      parent: 'launchd',
    });
    return {
      summary: `darwin LaunchAgent CPU miner ${basename(exe)} from ${exe}, only while idle`,
      plan: plan(s, tl, [a]),
    };
  },
};

export const DISGUISED_MINERS: Family[] = [
  alwaysOnTemp,
  browserTab,
  xmrigCmdline,
  kernelImpostor,
  winImpostor,
  deletedExe,
  renamed,
  macCpu,
];
