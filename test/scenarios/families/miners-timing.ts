/**
 * Miners whose tell is WHEN they work: they wait for the user to go idle (by their own
 * threshold, with a delay, or only while the screen is locked), pause within a second or two of
 * input, throttle, or get restarted per idle stretch by a scheduled task.
 */
import { computeGpu, winPaths } from '../hosts.js';
import type { Actor, Level } from '../model.js';
import {
  actor,
  cpuMining,
  END,
  type Family,
  gpuMining,
  noisy,
  requestBursts,
  session,
  setup,
  wholeTrace,
} from './common.js';
import { awayKinds, exeName, gpuMinerName, hiddenPath, miner, minerCmdline, type Os, plan } from './miner-kit.js';

const gpuIdle: Family = {
  family: 'gpu-idle-miner',
  label: 'miner',
  variants: 8,
  build(rng, v) {
    const os: Os = v % 3 === 2 ? 'win32' : 'linux';
    const s = setup(rng, { platform: os, gpu: rng.pick(['nvidia', 'nvidia', 'amd', 'hybrid']) });
    const tl = session(s, { kinds: awayKinds(rng) });
    const base = gpuMinerName(rng, os);
    const exe = hiddenPath(rng, s, base);
    const respawn = rng.chance(0.4);
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, 'gpu'),
      kind: 'gpu',
      level: gpuMining(rng),
      trigger: 'idle',
      respawn,
    });
    return {
      summary: `${os} GPU miner ${base} from ${exe}, waits for idle, pauses on input${respawn ? ', restarted per idle stretch' : ''}`,
      plan: plan(s, tl, [a]),
    };
  },
};

const gpuLowSlow: Family = {
  family: 'gpu-low-and-slow',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os: Os = v % 2 === 0 ? 'linux' : 'win32';
    const s = setup(rng, { platform: os, gpu: rng.pick(['nvidia', 'amd']) });
    const tl = session(s, { kinds: awayKinds(rng) });
    const always = v >= 4;
    const base = exeName(s, rng.pick(['gpu-svc', 'dbus-gpu', 'renderd', 'glx-helper', 'vkcache']));
    const exe = hiddenPath(rng, s, base);
    const level: Level = {
      gpu: noisy(rng.range(26, 34), 3),
      cpu: noisy(rng.range(1, 4), 0.6),
      gpuMemMiB: rng.pick([900, 1200, 2400]),
    };
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, 'gpu'),
      kind: 'gpu',
      level,
      trigger: always ? 'always' : 'idle',
    });
    return {
      summary: `${os} GPU miner throttled to ~30% (${base})${always ? ', always on' : ', only while idle'}`,
      plan: plan(s, tl, [a]),
    };
  },
};

const cpuIdle: Family = {
  family: 'cpu-miner-idle',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os: Os = (['linux', 'linux', 'win32', 'darwin', 'linux', 'win32'] as const)[v % 6] ?? 'linux';
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: awayKinds(rng) });
    const threads = Math.max(2, rng.int(Math.floor(s.host.cpuCores / 2), s.host.cpuCores - 1));
    const base = exeName(
      s,
      rng.pick(['xmrig', 'java', 'sysupdate', 'networkservice', 'php-fpm', 'systemd-worker', 'tracker-extract']),
    );
    const exe = hiddenPath(rng, s, base);
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, 'cpu'),
      kind: 'cpu',
      level: cpuMining(threads, rng),
      trigger: 'idle',
      respawn: rng.chance(0.3),
    });
    return {
      summary: `${os} xmrig-like CPU miner (${base}, ${threads} threads of ${s.host.cpuCores}) only while idle`,
      plan: plan(s, tl, [a]),
    };
  },
};

const lockedOnly: Family = {
  family: 'locked-only-miner',
  label: 'miner',
  variants: 5,
  build(rng, v) {
    const os: Os = (['linux', 'win32', 'darwin', 'linux', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os });
    // It listens for the session lock (logind LockedHint, WTS_SESSION_LOCK, com.apple.screenIsLocked).
    const tl = session(s, { kinds: ['locked-manual', 'locked-auto', 'locked-manual'], aways: rng.int(1, 2) });
    const gpu = os !== 'darwin' && rng.chance(0.5);
    const base = exeName(s, rng.pick(['session-helper', 'lockd', 'screenagent', 'dbus-notify', 'upd']));
    const exe = hiddenPath(rng, s, base);
    const level = gpu ? gpuMining(rng) : cpuMining(Math.max(2, s.host.cpuCores - rng.int(1, 3)), rng);
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, gpu ? 'gpu' : 'cpu'),
      kind: gpu ? 'gpu' : 'cpu',
      level,
      trigger: 'locked',
    });
    return {
      summary: `${os} ${gpu ? 'GPU' : 'CPU'} miner that runs only while the screen is locked (${base})`,
      plan: plan(s, tl, [a]),
    };
  },
};

const slowSampling: Family = {
  family: 'slow-sampling-2000ms',
  label: 'miner',
  variants: 4,
  build(rng, v) {
    const os: Os = v % 2 === 0 ? 'linux' : 'win32';
    const s = setup(rng, { platform: os, intervalMs: 2000, gapP: 0.004 });
    const tl = session(s, { kinds: awayKinds(rng) });
    const gpu = v < 2;
    const base = exeName(s, gpu ? rng.pick(['t-rex', 'vkd3d-helper']) : rng.pick(['xmrig', 'kthreadd2']));
    const exe = hiddenPath(rng, s, base);
    const level = gpu ? gpuMining(rng) : cpuMining(Math.max(2, s.host.cpuCores - 1), rng);
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, gpu ? 'gpu' : 'cpu'),
      kind: gpu ? 'gpu' : 'cpu',
      level,
      trigger: 'idle',
    });
    return {
      summary: `${os} ${gpu ? 'GPU' : 'CPU'} idle miner sampled every 2000 ms with gaps`,
      plan: plan(s, tl, [a]),
    };
  },
};

const respawnPerIdle: Family = {
  family: 'respawned-per-idle',
  label: 'miner',
  variants: 4,
  build(rng, v) {
    const os: Os = v % 2 === 0 ? 'win32' : 'linux';
    const s = setup(rng, { platform: os });
    const tl = session(s, { aways: rng.int(2, 3), awaySec: [400, 900], kinds: ['away', 'locked-auto'] });
    // Task Scheduler: "start only if idle for N minutes", "stop if the computer ceases to be idle".
    const base = exeName(s, rng.pick(['WinRing0', 'taskhostx', 'wuaucltx', 'sysmon', 'sd-helper']));
    const exe = hiddenPath(rng, s, base);
    const gpu = rng.chance(0.5);
    const level = gpu ? gpuMining(rng) : cpuMining(Math.max(2, s.host.cpuCores - 1), rng);
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, gpu ? 'gpu' : 'cpu'),
      kind: gpu ? 'gpu' : 'cpu',
      level,
      trigger: 'idle',
      afterIdleSec: os === 'win32' ? rng.pick([240, 600]) : 120,
      delaySec: [0, 60],
      respawn: true,
      parent: os === 'win32' ? 'svchost.exe#3' : 'systemd-user',
    });
    return {
      summary: `${os} ${gpu ? 'GPU' : 'CPU'} miner started afresh each idle stretch by a scheduled task and killed on return`,
      plan: plan(s, tl, [a]),
    };
  },
};

const longDelay: Family = {
  family: 'long-delay-miner',
  label: 'miner',
  variants: 3,
  build(rng, v) {
    const os: Os = v === 1 ? 'win32' : 'linux';
    const s = setup(rng, { platform: os, thresholdSec: 60 });
    const tl = session(s, { aways: 1, awaySec: [1800, 2400], kinds: ['away', 'locked-auto'] });
    const base = exeName(s, rng.pick(['upowerd-x', 'colord-sane', 'vmtoolsd2']));
    const exe = hiddenPath(rng, s, base);
    const after = rng.pick([600, 900, 1200]);
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, 'gpu'),
      kind: 'gpu',
      level: gpuMining(rng),
      trigger: 'idle',
      afterIdleSec: after,
      delaySec: [0, 60],
    });
    return {
      summary: `${os} GPU miner that waits ${after / 60} minutes of idle before starting`,
      plan: plan(s, tl, [a]),
    };
  },
};

const withLookalike: Family = {
  family: 'miner-beside-lookalike',
  label: 'miner',
  variants: 4,
  build(rng, v) {
    const os: Os = v % 2 === 0 ? 'linux' : 'win32';
    const s = setup(rng, { platform: os, gpu: 'nvidia' });
    const tl = session(s, { aways: 1, awaySec: [900, 1500], kinds: ['away'] });
    const h = s.host;
    // Something legitimate keeps the machine busy at the same time: the miner must still stand out.
    const lead = tl.inputs.find((t) => t > 30_000) ?? 60_000;
    const kind = (['game', 'render', 'llm', 'video'] as const)[v] ?? 'game';
    const legit: Actor =
      kind === 'game'
        ? actor({
            key: 'game',
            role: 'lookalike',
            name: os === 'win32' ? 'FactoryGame-Win64-Shipping.exe' : 'Factorio',
            exe:
              os === 'win32'
                ? 'C:\\Program Files (x86)\\Steam\\steamapps\\common\\Satisfactory\\FactoryGame\\Binaries\\Win64\\FactoryGame-Win64-Shipping.exe'
                : `${h.home}/.local/share/Steam/steamapps/common/Factorio/bin/x64/factorio`,
            cmdline: 'factorio',
            user: h.user,
            parent: 'steam',
            lives: [{ from: lead, to: END }],
            gpuId: computeGpu(h),
            load: [{ kind: 'constant', level: { gpu: noisy(45, 6), cpu: noisy(120, 20), gpuMemMiB: 3000 } }],
            expect: { loadsWhileActiveFirst: true, loadsAfterReturn: true },
          })
        : kind === 'render'
          ? actor({
              key: 'blender',
              role: 'lookalike',
              name: os === 'win32' ? 'blender.exe' : 'blender',
              exe:
                os === 'win32' ? 'C:\\Program Files\\Blender Foundation\\Blender 4.5\\blender.exe' : '/usr/bin/blender',
              cmdline: 'blender -b scene.blend -E CYCLES -a -- --cycles-device OPTIX',
              user: h.user,
              parent: os === 'win32' ? 'explorer' : 'bash',
              lives: [{ from: lead, to: END }],
              gpuId: computeGpu(h),
              load: [{ kind: 'constant', level: { gpu: noisy(70, 8), cpu: noisy(100, 10), gpuMemMiB: 3500 } }],
              expect: { loadsWhileActiveFirst: true },
            })
          : kind === 'llm'
            ? actor({
                key: 'ollama',
                role: 'lookalike',
                name: os === 'win32' ? 'ollama.exe' : 'ollama',
                exe:
                  os === 'win32'
                    ? `${winPaths(h).localAppData}\\Programs\\Ollama\\ollama.exe`
                    : '/usr/local/bin/ollama',
                cmdline: 'ollama serve',
                user: os === 'win32' ? h.user : 'ollama',
                lives: wholeTrace(rng),
                gpuId: computeGpu(h),
                gpuMemMiB: 5200,
                load: [requestBursts(rng, tl.durationMs, 20)],
              })
            : actor({
                key: 'mpv',
                role: 'lookalike',
                name: os === 'win32' ? 'vlc.exe' : 'mpv',
                exe: os === 'win32' ? 'C:\\Program Files\\VideoLAN\\VLC\\vlc.exe' : '/usr/bin/mpv',
                cmdline: 'mpv --fs movie.mkv',
                user: h.user,
                lives: [{ from: lead, to: END }],
                gpuId: computeGpu(h),
                load: [{ kind: 'constant', level: { gpu: noisy(12, 3), cpu: noisy(15, 4), gpuMemMiB: 250 } }],
                expect: { loadsWhileActiveFirst: true },
              });
    const base = exeName(s, rng.pick(['nvhelper', 'gpu-svc', 'lolMiner']));
    const exe = hiddenPath(rng, s, base);
    const gpuShare = kind === 'game' || kind === 'render' ? rng.range(40, 55) : undefined;
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, 'gpu'),
      kind: 'gpu',
      level: gpuMining(rng, gpuShare),
      trigger: 'idle',
    });
    return {
      summary: `${os} idle GPU miner ${base} while a legitimate ${kind} also uses the GPU`,
      plan: plan(s, tl, [a, legit], { withApps: ['steam'] }),
    };
  },
};

export const TIMING_MINERS: Family[] = [
  gpuIdle,
  gpuLowSlow,
  cpuIdle,
  lockedOnly,
  slowSampling,
  respawnPerIdle,
  longDelay,
  withLookalike,
];
