/**
 * Benign load that was started while the person was there and simply keeps going: games left
 * running, renders and training runs, video with an idle inhibitor, streaming, a local model
 * server answering requests, builds, sync uploads, and the ordinary desktop alone.
 */
import { computeGpu, displayGpu, httpsConn, winPaths } from '../hosts.js';
import type { Actor, Level, LoadSource, Span } from '../model.js';
import {
  actor,
  END,
  type Family,
  type FinishOptions,
  idleWork,
  noisy,
  requestBursts,
  session,
  setup,
  spans,
  wholeTrace,
} from './common.js';
import { constant, kinds, plan, whileActive } from './benign-kit.js';

const afkGame: Family = {
  family: 'afk-game',
  label: 'benign',
  variants: 6,
  build(rng, v) {
    const os = v % 3 === 2 ? 'win32' : 'linux';
    const s = setup(rng, { platform: os, gpu: rng.pick(['nvidia', 'amd']) });
    const tl = session(s, { kinds: kinds(rng), leadSec: [400, 900] });
    const h = s.host;
    const games =
      os === 'win32'
        ? [
            ['eldenring.exe', 'C:\\Program Files (x86)\\Steam\\steamapps\\common\\ELDEN RING\\Game\\eldenring.exe'],
            ['Cyberpunk2077.exe', 'D:\\SteamLibrary\\steamapps\\common\\Cyberpunk 2077\\bin\\x64\\Cyberpunk2077.exe'],
            [
              'FortniteClient-Win64-Shipping.exe',
              'C:\\Program Files\\Epic Games\\Fortnite\\FortniteGame\\Binaries\\Win64\\FortniteClient-Win64-Shipping.exe',
            ],
          ]
        : [
            ['eldenring.exe', `${h.home}/.local/share/Steam/steamapps/common/ELDEN RING/Game/eldenring.exe`],
            ['factorio', `${h.home}/.local/share/Steam/steamapps/common/Factorio/bin/x64/factorio`],
            ['BaldursGate3.ex', `${h.home}/.local/share/Steam/steamapps/common/Baldurs Gate 3/bin/bg3.exe`],
            ['hl2_linux', `${h.home}/.local/share/Steam/steamapps/common/Half-Life 2/hl2_linux`],
          ];
    const [name, exe] = rng.pick(games) as [string, string];
    const start = whileActive(tl, rng.range(20, 200));
    const play: Level = {
      gpu: noisy(rng.range(55, 95), 6),
      cpu: noisy(rng.range(90, 350), 30),
      gpuMemMiB: rng.int(2500, 8000),
    };
    const load: LoadSource[] = [constant(play)];
    // Some games drop to an uncapped menu or pause screen when left alone: the GPU goes UP.
    const menu = rng.chance(0.4);
    if (menu)
      load.push(
        spans(idleWork(tl, rng, { afterIdleSec: rng.pick([60, 120, 300]), stopSec: [0.2, 1] }), { gpu: noisy(30, 4) }),
      );
    const game = actor({
      key: 'game',
      role: 'lookalike',
      name,
      exe,
      cmdline: os === 'linux' && exe.endsWith('.exe') ? `Z:\\${exe.replaceAll('/', '\\')}` : exe,
      user: h.user,
      parent: 'steam',
      lives: [{ from: start, to: END }],
      load,
      gpuId: computeGpu(h),
      expect: { loadsWhileActiveFirst: true, loadsAfterReturn: true },
    });
    return {
      summary: `${os} game ${name} left running (busy GPU before idle, still running after return${menu ? ', menu spins the GPU up when idle' : ''})`,
      plan: plan(s, tl, [game], { withApps: ['steam'] }),
    };
  },
};

const longJob: Family = {
  family: 'overnight-job',
  label: 'benign',
  variants: 6,
  build(rng, v) {
    const os = (['linux', 'linux', 'win32', 'linux', 'darwin', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os, gpu: os === 'darwin' ? 'apple' : 'nvidia' });
    const tl = session(s, { kinds: kinds(rng), aways: 1, awaySec: [900, 2000] });
    const h = s.host;
    const start = whileActive(tl, rng.range(30, 250));
    // Some jobs finish on their own while the person is still away.
    const gap = tl.quietGaps(tl.thresholdSec)[0];
    const ends =
      rng.chance(0.4) && gap
        ? { from: start, to: gap.from + (gap.to - gap.from) * rng.range(0.4, 0.8) }
        : { from: start, to: END };
    const kind =
      (['blender-gpu', 'training', 'blender-cpu', 'ffmpeg', 'blender-cpu', 'handbrake'] as const)[v] ?? 'blender-gpu';
    const actors: Actor[] = [];
    const gpu = computeGpu(h);
    const expect = { loadsWhileActiveFirst: true };
    if (kind === 'blender-gpu' || kind === 'blender-cpu') {
      const exe =
        os === 'win32'
          ? 'C:\\Program Files\\Blender Foundation\\Blender 4.5\\blender.exe'
          : os === 'darwin'
            ? '/Applications/Blender.app/Contents/MacOS/Blender'
            : rng.pick(['/usr/bin/blender', `${h.home}/Apps/blender-4.5.3-linux-x64/blender`]);
      const level: Level =
        kind === 'blender-gpu'
          ? { gpu: noisy(rng.range(93, 99), 2), cpu: noisy(100, 5), gpuMemMiB: rng.int(2000, 9000) }
          : { cpu: noisy(h.cpuCores * 97, h.cpuCores * 2) };
      actors.push(
        actor({
          key: 'blender',
          role: 'lookalike',
          name: os === 'win32' ? 'blender.exe' : os === 'darwin' ? 'Blender' : 'blender',
          exe,
          cmdline: `${exe} -b ${h.home}/projects/shot_0${rng.int(1, 9)}.blend -E CYCLES -s 1 -e 240 -a${kind === 'blender-gpu' ? ' -- --cycles-device OPTIX' : ''}`,
          user: h.user,
          parent: os === 'linux' ? 'bash' : os === 'win32' ? 'explorer' : 'launchd',
          lives: [ends],
          gpuId: gpu,
          load: [constant(level)],
          expect,
        }),
      );
    } else if (kind === 'training') {
      const py = `${h.home}/venvs/torch/bin/python3`;
      const main = actor({
        key: 'train',
        role: 'lookalike',
        name: 'python3',
        exe: py,
        cmdline: `python3 train.py --config configs/resnet50.yaml --epochs 90 --batch-size 256 --workers 6`,
        user: h.user,
        parent: 'bash',
        lives: [ends],
        gpuId: gpu,
        load: [constant({ gpu: noisy(rng.range(88, 99), 4), cpu: noisy(105, 10), gpuMemMiB: rng.int(6000, 11_000) })],
        expect,
      });
      actors.push(main);
      // DataLoader worker processes: each decodes images on a core.
      for (let i = 0; i < 6; i++) {
        actors.push(
          actor({
            key: `loader${i}`,
            role: 'lookalike',
            name: 'pt_data_worker',
            exe: py,
            cmdline: `python3 train.py --config configs/resnet50.yaml --epochs 90 --batch-size 256 --workers 6`,
            user: h.user,
            parent: 'train',
            lives: [{ from: ends.from + 4000, to: ends.to }],
            load: [constant({ cpu: noisy(rng.range(40, 80), 10) })],
          }),
        );
      }
    } else {
      const exe = kind === 'ffmpeg' ? '/usr/bin/ffmpeg' : 'C:\\Program Files\\HandBrake\\HandBrake.Worker.exe';
      const name = kind === 'ffmpeg' ? 'ffmpeg' : 'HandBrake.Worker.exe';
      const cmdline =
        kind === 'ffmpeg'
          ? `ffmpeg -i ${h.home}/Videos/raw/wedding.mov -c:v libx265 -crf 22 -preset slow -c:a aac ${h.home}/Videos/wedding.mp4`
          : `"${exe}" --port=8037 --token=${rng.hex(32)}`;
      actors.push(
        actor({
          key: 'encode',
          role: 'lookalike',
          name,
          exe,
          cmdline,
          user: h.user,
          parent: os === 'linux' ? 'bash' : 'explorer',
          lives: [ends],
          load: [constant({ cpu: noisy(h.cpuCores * rng.range(80, 95), h.cpuCores * 3) })],
          expect,
        }),
      );
    }
    const finished = ends.to < END;
    return {
      summary: `${os} ${kind} started while active, runs through idle${finished ? ' and finishes by itself while away' : ' and after the return'}`,
      plan: plan(s, tl, actors),
    };
  },
};

const videoInhibitor: Family = {
  family: 'video-with-inhibitor',
  label: 'benign',
  variants: 6,
  build(rng, v) {
    const os = (['linux', 'linux', 'win32', 'linux', 'darwin', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os });
    const h = s.host;
    const player = (
      {
        linux: [
          {
            name: 'mpv',
            exe: '/usr/bin/mpv',
            cmdline: `mpv --fs ${h.home}/Videos/Dune.Part.Two.2024.2160p.mkv`,
            inhibitor: 'mpv',
            browser: undefined,
          },
          {
            name: 'totem',
            exe: '/usr/bin/totem',
            cmdline: `/usr/bin/totem --gapplication-service`,
            inhibitor: 'org.gnome.Totem',
            browser: undefined,
          },
          {
            name: 'Isolated Web Co',
            exe: '/usr/lib/firefox/firefox',
            cmdline: `/usr/lib/firefox/firefox -contentproc -isForBrowser -prefsHandle 0:36 -parentBuildID 20251118 {${rng.hex(8)}} 31 true tab`,
            inhibitor: 'org.mozilla.firefox',
            browser: 'firefox' as const,
          },
          {
            name: 'vlc',
            exe: '/usr/bin/vlc',
            cmdline: `/usr/bin/vlc --started-from-file ${h.home}/Videos/lecture-09.mp4`,
            inhibitor: 'vlc',
            browser: undefined,
          },
        ],
        win32: [
          {
            name: 'vlc.exe',
            exe: 'C:\\Program Files\\VideoLAN\\VLC\\vlc.exe',
            cmdline: `"C:\\Program Files\\VideoLAN\\VLC\\vlc.exe" --started-from-file "${h.home}\\Videos\\movie.mkv"`,
            inhibitor: 'vlc.exe',
            browser: undefined,
          },
          {
            name: 'msedge.exe',
            exe: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
            cmdline: `"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=renderer --renderer-client-id=41 --mojo-platform-channel-handle=6220 /prefetch:1`,
            inhibitor: 'msedge.exe',
            browser: 'edge' as const,
          },
        ],
        darwin: [
          {
            name: 'IINA',
            exe: '/Applications/IINA.app/Contents/MacOS/IINA',
            cmdline: '/Applications/IINA.app/Contents/MacOS/IINA',
            inhibitor: 'IINA',
            browser: undefined,
          },
        ],
      } as const
    )[os];
    const p = rng.pick(player as readonly (typeof player)[number][]);
    // The person starts a film and watches without touching anything: no input for its length.
    s.tb.active(rng.range(120, 400));
    const watchSec = rng.range(1500, 2700);
    const start = s.tb.now - rng.range(10, 60) * 1000;
    s.tb.away(watchSec, { inhibitor: p.inhibitor });
    const stop = s.tb.now + rng.range(5, 60) * 1000;
    s.tb.active(rng.range(120, 400));
    const tl = s.tb.build();
    const level: Level = {
      gpu: noisy(rng.range(6, 22), 2),
      cpu: noisy(rng.range(6, 35), 4),
      gpuMemMiB: rng.int(150, 400),
    };
    const parent = p.browser
      ? os === 'linux'
        ? 'firefox'
        : 'browser'
      : os === 'linux'
        ? 'systemd-user'
        : os === 'win32'
          ? 'explorer'
          : 'launchd';
    const a = actor({
      key: 'player',
      role: 'lookalike',
      name: p.name,
      exe: p.exe,
      cmdline: p.cmdline,
      user: h.user,
      parent,
      lives: [{ from: start - 2000, to: rng.chance(0.5) ? stop + 1000 : END }],
      load: [spans([{ from: start, to: stop }], level)],
      gpuId: displayGpu(h),
      expect: { loadsWhileActiveFirst: true, inhibitor: p.inhibitor },
    });
    return {
      summary: `${os} video playback in ${p.name} holding an idle inhibitor (${p.inhibitor}) while nobody touches the input`,
      plan: plan(s, tl, [a], p.browser ? { browser: p.browser } : {}),
    };
  },
};

const obs: Family = {
  family: 'obs-streaming',
  label: 'benign',
  variants: 4,
  build(rng, v) {
    const os = (['linux', 'win32', 'win32', 'linux'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os, gpu: 'nvidia', collectsConns: true });
    const tl = session(s, { kinds: kinds(rng) });
    const h = s.host;
    const start = whileActive(tl, rng.range(20, 120));
    const exe = os === 'win32' ? 'C:\\Program Files\\obs-studio\\bin\\64bit\\obs64.exe' : '/usr/bin/obs';
    // NVENC keeps the video engine at a steady share; the scene compositing adds a little 3D.
    const level: Level = {
      gpu: noisy(rng.range(18, 42), 3),
      cpu: noisy(rng.range(15, 45), 5),
      gpuMemMiB: rng.int(400, 900),
    };
    const a = actor({
      key: 'obs',
      role: 'lookalike',
      name: os === 'win32' ? 'obs64.exe' : 'obs',
      exe,
      cmdline:
        os === 'win32' ? `"${exe}" --startstreaming --minimize-to-tray` : 'obs --startstreaming --minimize-to-tray',
      user: h.user,
      parent: os === 'win32' ? 'explorer' : 'systemd-user',
      lives: [{ from: start, to: END }],
      load: [constant(level)],
      gpuId: computeGpu(h),
      conns: [
        {
          proto: 'tcp',
          remote: `${rng.pick(['52.223', '185.42', '99.181'])}.${rng.int(1, 254)}.${rng.int(1, 254)}:1935`,
          state: 'ESTABLISHED',
        },
      ],
      expect: { loadsWhileActiveFirst: true, loadsAfterReturn: true },
    });
    return {
      summary: `${os} OBS streaming with the hardware encoder, started while active, steady through idle`,
      plan: plan(s, tl, [a]),
    };
  },
};

const localLlm: Family = {
  family: 'local-llm-server',
  label: 'benign',
  variants: 5,
  build(rng, v) {
    const os = (['linux', 'linux', 'win32', 'linux', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os, gpu: 'nvidia' });
    const tl = session(s, { kinds: kinds(rng), awaySec: [900, 1800] });
    const h = s.host;
    const gpu = computeGpu(h);
    const actors: Actor[] = [];
    const perHour = rng.pick([10, 20, 40, 60]);
    const bursts = requestBursts(rng, tl.durationMs, perHour);
    if (v === 3) {
      // llama.cpp's server, started by hand, model resident the whole time.
      actors.push(
        actor({
          key: 'llama',
          role: 'lookalike',
          name: 'llama-server',
          exe: `${h.home}/src/llama.cpp/build/bin/llama-server`,
          cmdline: `${h.home}/src/llama.cpp/build/bin/llama-server -m ${h.home}/models/Qwen2.5-14B-Instruct-Q4_K_M.gguf -ngl 99 -c 16384 --host 0.0.0.0 --port 8080`,
          user: h.user,
          parent: 'bash',
          lives: wholeTrace(rng),
          gpuId: gpu,
          gpuMemMiB: rng.int(9000, 14_000),
          load: [bursts],
        }),
      );
    } else {
      const win = os === 'win32';
      const exe = win ? `${winPaths(h).localAppData}\\Programs\\Ollama\\ollama.exe` : '/usr/local/bin/ollama';
      const user = win ? h.user : 'ollama';
      actors.push(
        actor({
          key: 'ollama',
          role: 'lookalike',
          name: win ? 'ollama.exe' : 'ollama',
          exe,
          cmdline: win ? `"${exe}" serve` : '/usr/local/bin/ollama serve',
          user,
          parent: win ? 'explorer' : 'systemd',
          lives: wholeTrace(rng, [3600, 80_000]),
          load: [{ kind: 'flicker', p: 0.05, cpu: [0.5, 2] }],
        }),
      );
      // Each loaded model runs in a runner child; it unloads after 5 minutes without requests.
      const runners: Span[] = [];
      for (const b of bursts.spans) {
        const last = runners[runners.length - 1];
        if (last && b.from <= last.to) last.to = Math.max(last.to, b.to + 300_000);
        else runners.push({ from: b.from - rng.range(1500, 4000), to: b.to + 300_000 });
      }
      const blob = `sha256-${rng.hex(64)}`;
      const modelDir = win ? `${h.home}\\.ollama\\models\\blobs` : '/usr/share/ollama/.ollama/models/blobs';
      actors.push(
        actor({
          key: 'runner',
          role: 'lookalike',
          name: win ? 'ollama.exe' : 'ollama',
          exe,
          cmdline: `${exe} runner --model ${modelDir}${win ? '\\' : '/'}${blob} --ctx-size 8192 --batch-size 512 --n-gpu-layers 49 --threads ${Math.max(1, h.cpuCores / 2)} --parallel 4 --port ${rng.int(33000, 45000)}`,
          user,
          parent: 'ollama',
          lives: runners,
          gpuId: gpu,
          gpuMemMiB: rng.int(4800, 18_000),
          load: [bursts, { kind: 'constant', level: { cpu: noisy(0.5, 0.3) } }],
        }),
      );
    }
    return {
      summary: `${os} local LLM server (${v === 3 ? 'llama-server' : 'ollama'}) answering ~${perHour} requests an hour, including while idle`,
      plan: plan(s, tl, actors),
    };
  },
};

const longBuild: Family = {
  family: 'long-build',
  label: 'benign',
  variants: 3,
  build(rng, v) {
    const s = setup(rng, { platform: 'linux', cores: rng.pick([8, 16, 24]) });
    const tl = session(s, { aways: 1, kinds: ['away', 'locked-manual'], awaySec: [600, 1200] });
    const h = s.host;
    const start = whileActive(tl, rng.range(60, 200));
    const gap = tl.quietGaps(tl.thresholdSec)[0];
    const end = gap ? gap.from + (gap.to - gap.from) * rng.range(0.3, 1.3) : start + 1_800_000;
    const tool = (['make', 'cargo', 'ninja'] as const)[v] ?? 'make';
    const actors: Actor[] = [];
    const driver =
      tool === 'make'
        ? { name: 'make', exe: '/usr/bin/make', cmdline: `make -j${h.cpuCores}` }
        : tool === 'cargo'
          ? { name: 'cargo', exe: `${h.home}/.cargo/bin/cargo`, cmdline: 'cargo build --release' }
          : { name: 'ninja', exe: '/usr/bin/ninja', cmdline: `ninja -C out/Release chrome -j ${h.cpuCores}` };
    actors.push(
      actor({
        key: 'driver',
        role: 'lookalike',
        ...driver,
        user: h.user,
        parent: 'bash',
        lives: [{ from: start, to: end }],
        load: [constant({ cpu: noisy(2, 1) })],
      }),
    );
    // Every compile is its own short process: the load moves across hundreds of pids.
    const unit =
      tool === 'cargo'
        ? { name: 'rustc', exe: `${h.home}/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc` }
        : { name: 'cc1plus', exe: '/usr/libexec/gcc/x86_64-linux-gnu/13/cc1plus' };
    for (let slot = 0; slot < h.cpuCores; slot++) {
      const lives: Span[] = [];
      let t = start + rng.range(0, 3000);
      while (t < end) {
        const dur = rng.range(tool === 'cargo' ? 3 : 1, tool === 'cargo' ? 60 : 25) * 1000;
        lives.push({ from: t, to: Math.min(end, t + dur) });
        t += dur + rng.range(50, 800);
      }
      actors.push(
        actor({
          key: `unit${slot}`,
          role: 'lookalike',
          name: unit.name,
          exe: unit.exe,
          cmdline:
            tool === 'cargo'
              ? `rustc --crate-name dep${slot} --edition=2021 src/lib.rs --crate-type lib --emit=dep-info,metadata,link -C opt-level=3`
              : `${unit.exe} -quiet -I include -D NDEBUG src/module_${slot}.cc -O2 -o /tmp/cc${rng.alnum(6)}.s`,
          user: h.user,
          parent: 'driver',
          lives,
          load: [constant({ cpu: noisy(97, 3) })],
        }),
      );
    }
    return {
      summary: `linux ${tool} build started while active, compile processes run on into idle`,
      plan: plan(s, tl, actors),
    };
  },
};

const syncUpload: Family = {
  family: 'sync-client-upload',
  label: 'benign',
  variants: 3,
  build(rng, v) {
    const os = (['linux', 'win32', 'darwin'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os, collectsConns: true });
    const tl = session(s, { aways: 1, kinds: ['away', 'locked-auto'], awaySec: [900, 1500] });
    const h = s.host;
    const start = whileActive(tl, rng.range(30, 200));
    const pick =
      os === 'win32'
        ? {
            name: 'OneDrive.exe',
            exe: `${winPaths(h).localAppData}\\Microsoft\\OneDrive\\OneDrive.exe`,
            cmdline: `"${winPaths(h).localAppData}\\Microsoft\\OneDrive\\OneDrive.exe" /background`,
            parent: 'explorer',
          }
        : os === 'darwin'
          ? {
              name: 'Dropbox',
              exe: '/Applications/Dropbox.app/Contents/MacOS/Dropbox',
              cmdline: '/Applications/Dropbox.app/Contents/MacOS/Dropbox /firstrunupdate 1234',
              parent: 'launchd',
            }
          : {
              name: 'nextcloud',
              exe: '/usr/bin/nextcloud',
              cmdline: '/usr/bin/nextcloud --background',
              parent: 'systemd-user',
            };
    const omit = os === 'win32' ? ['OneDrive.exe'] : [];
    // Hashing and uploading a folder of photos dropped in just before leaving.
    const a = actor({
      key: 'sync',
      role: 'lookalike',
      ...pick,
      user: h.user,
      lives: wholeTrace(rng),
      load: [
        spans([{ from: start, to: start + rng.range(900, 2400) * 1000 }], { cpu: noisy(rng.range(20, 60), 8) }),
        { kind: 'flicker', p: 0.05, cpu: [0.2, 1] },
      ],
      conns: [httpsConn(rng), httpsConn(rng)],
      expect: { loadsWhileActiveFirst: true },
    });
    return {
      summary: `${os} ${pick.name} uploading a large folder, started while active, busy through idle`,
      plan: plan(s, tl, [a], { omit }),
    };
  },
};

const backgroundOnly: Family = {
  family: 'background-only',
  label: 'benign',
  variants: 10,
  build(rng, v) {
    const os =
      (['linux', 'linux', 'linux', 'linux', 'win32', 'win32', 'win32', 'darwin', 'darwin', 'darwin'] as const)[v] ??
      'linux';
    const scale = v === 1 || v === 5 ? 'heavy' : v === 2 || v === 8 ? 'light' : 'normal';
    const s = setup(rng, {
      platform: os,
      scale,
      ...(v === 6 ? { intervalMs: 2000 } : {}),
      ...(v === 1 ? { cores: 32 } : {}),
    });
    if (v === 3) s.tb.noIdleSource();
    const tl = session(s, {
      aways: rng.int(1, 3),
      kinds: ['away', 'locked-manual', 'locked-auto'],
      awaySec: [400, 1200],
    });
    // Variant 1 is a developer workstation: 32 threads, a browser with a great many tabs, containers.
    const opts: FinishOptions = v === 1 ? { browser: 'chrome', withApps: ['docker', 'code', 'steam', 'slack'] } : {};
    return {
      summary: `${os} ordinary desktop, ${scale} load${v === 3 ? ', no idle source (state unknown)' : ''}, nothing else`,
      plan: plan(s, tl, [], opts),
    };
  },
};

export const LEFT_RUNNING: Family[] = [
  afkGame,
  longJob,
  videoInhibitor,
  obs,
  localLlm,
  longBuild,
  syncUpload,
  backgroundOnly,
];
