/**
 * Adversarial miners: ones written to get past a detector like this one, from what such malware
 * does. A launcher script that execs the miner once the user has gone (so the process that started
 * at login was a harmless shell); a miner that pauses while a process monitor is open (Nitrokod,
 * PowerGhost and many droppers check for Taskmgr.exe, ProcessHacker.exe, procexp.exe, perfmon.exe);
 * one that mines in short bursts so no stretch of load is long; one whose load is shaped like a
 * game's; and copycats of benign programs' names, folders and parents. On Linux, Windows and macOS.
 */
import { computeGpu, poolConn, winPaths } from '../hosts.js';
import type { Actor, Level, Span } from '../model.js';
import type { Rng } from '../prng.js';
import type { Timeline } from '../timeline.js';
import {
  actor,
  cpuMining,
  END,
  type Family,
  gpuMining,
  idleWork,
  noisy,
  type Setup,
  session,
  setup,
  spans,
  wholeTrace,
} from './common.js';
import {
  awayKinds,
  exeName,
  gpuMinerName,
  hiddenPath,
  miner,
  minerCmdline,
  minerIdleSec,
  type Os,
  persistence,
  plan,
} from './miner-kit.js';

const OSES: readonly Os[] = ['linux', 'win32', 'darwin'];
const osOf = (v: number): Os => OSES[v % 3] ?? 'linux';

/** macOS recorders see no per-process GPU use: miners there are measured by their CPU. */
function kindFor(rng: Rng, os: Os): 'gpu' | 'cpu' {
  return os === 'darwin' ? 'cpu' : rng.chance(0.5) ? 'gpu' : 'cpu';
}

function levelFor(rng: Rng, s: Setup, kind: 'gpu' | 'cpu'): Level {
  return kind === 'gpu' ? gpuMining(rng) : cpuMining(Math.max(2, s.host.cpuCores - rng.int(1, 2)), rng);
}

function cpuMinerName(rng: Rng, s: Setup): string {
  return exeName(s, rng.pick(['xmrig', 'kdevtmp', 'sysupdate', 'mdworker_ext', 'helperd', 'cache-srv']));
}

/**
 * Item 1: a script that execs the miner when the user leaves. It starts at login as an ordinary
 * shell polling the idle time (xprintidle, ioreg HIDIdleTime), and replaces itself with the miner at
 * the first idle stretch; the miner then pauses on input as xmrig's pause-on-active does. Windows has
 * no exec: there a hidden PowerShell script starts the miner as its child each time the user leaves.
 * The incident must name the miner, not the shell it was.
 */
const execOnLeave: Family = {
  family: 'exec-on-leave',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os = osOf(v);
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    const kind = kindFor(rng, os);
    const base = kind === 'gpu' ? gpuMinerName(rng, os) : cpuMinerName(rng, s);
    const exe = hiddenPath(rng, s, base);
    const after = minerIdleSec(rng);
    const windows = idleWork(tl, rng, { afterIdleSec: after, delaySec: [0, 30], stopSec: [0.8, 3], minRunSec: 20 });
    const level = levelFor(rng, s, kind);
    const rest: Level = kind === 'gpu' ? { cpu: noisy(0.3, 0.3), gpuMemMiB: 90 } : { cpu: noisy(0.2, 0.2) };
    const first = windows[0]?.from ?? END;
    const load = [spans(windows, level, kind === 'gpu' ? rng.range(4000, 20_000) : rng.range(1500, 8000))];
    const cmdline = minerCmdline(rng, exe, kind);
    const conns = [poolConn(rng)];
    if (os === 'win32') {
      const ps = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';
      const script = `${winPaths(h).appData}\\Microsoft\\Windows\\${rng.pick(['Themes', 'Libraries', 'Recent'])}\\${rng.alnum(6)}.ps1`;
      const launcher = actor({
        key: 'launcher',
        role: 'target',
        name: 'powershell.exe',
        exe: ps,
        cmdline: `powershell.exe -NoProfile -WindowStyle Hidden -ExecutionPolicy Bypass -File ${script}`,
        user: h.user,
        parent: 'explorer',
        lives: wholeTrace(rng, [600, 20_000]),
        load: [{ kind: 'constant', level: { cpu: noisy(0.4, 0.3) } }],
      });
      const child = actor({
        key: 'miner',
        role: 'target',
        name: base,
        exe,
        cmdline,
        user: h.user,
        parent: 'launcher',
        // Started when the user has gone, killed by the script on their return.
        lives: windows.map((w) => ({ from: w.from - rng.range(300, 1500), to: w.to + rng.range(100, 600) })),
        load: [...load, { kind: 'constant', level: rest }],
        gpuId: computeGpu(h),
        conns,
        expect: { onlyWhenIdleSecAtLeast: after, graceSec: 3 },
      });
      return {
        summary: `win32 hidden PowerShell script that starts ${kind.toUpperCase()} miner ${base} as its child when you leave`,
        plan: { ...plan(s, tl, [launcher, child]), nameCheck: true },
      };
    }
    const shell =
      os === 'darwin'
        ? { name: 'bash', exe: '/bin/bash', script: `${h.home}/Library/Application Support/.${rng.alnum(5)}/run.sh` }
        : rng.pick([
            {
              name: 'sh',
              exe: '/usr/bin/dash',
              script: `${h.home}/.local/bin/${rng.pick(['update', 'sync', 'gvfs'])}.sh`,
            },
            { name: 'bash', exe: '/usr/bin/bash', script: `${h.home}/.config/autostart-scripts/${rng.alnum(5)}.sh` },
          ]);
    const a = actor({
      key: 'miner',
      role: 'target',
      name: shell.name,
      exe: shell.exe,
      cmdline: `${shell.name} ${shell.script}`,
      user: h.user,
      parent: persistence(rng, os),
      lives: wholeTrace(rng, [600, 20_000]),
      // The script polls the idle time; once exec'd, the miner rests between idle stretches.
      load: [...load, { kind: 'constant', level: { cpu: noisy(0.3, 0.3) } }],
      gpuId: computeGpu(h),
      // No pool connection is listed: the script had none, and the miner's would only show after the exec.
      conns: [],
      execs: [{ at: first - rng.range(200, 1500), name: base, exe, cmdline }],
      expect: { onlyWhenIdleSecAtLeast: after, graceSec: 3 },
    });
    return {
      summary: `${os} ${shell.name} script that execs ${kind.toUpperCase()} miner ${base} (${exe}) once you leave`,
      plan: plan(s, tl, [a]),
    };
  },
};

/** Stretches with the user at the machine: between the away periods (no input for the threshold). */
function activeStretches(tl: Timeline): Span[] {
  const out: Span[] = [];
  let from = 0;
  for (const g of tl.quietGaps(tl.thresholdSec)) {
    if (g.from > from) out.push({ from, to: g.from });
    from = Math.max(from, g.to);
  }
  if (from < tl.durationMs) out.push({ from, to: tl.durationMs });
  return out;
}

interface MonitorTool {
  name: string;
  exe: string;
  cmdline: string;
}

function monitorTool(rng: Rng, s: Setup): MonitorTool {
  const os = s.host.platform;
  if (os === 'win32') {
    return rng.pick([
      {
        name: 'Taskmgr.exe',
        exe: 'C:\\Windows\\System32\\Taskmgr.exe',
        cmdline: '"C:\\Windows\\system32\\taskmgr.exe" /4',
      },
      {
        name: 'ProcessHacker.exe',
        exe: 'C:\\Program Files\\Process Hacker 2\\ProcessHacker.exe',
        cmdline: '"C:\\Program Files\\Process Hacker 2\\ProcessHacker.exe"',
      },
      {
        name: 'procexp64.exe',
        exe: `${s.host.home}\\Downloads\\ProcessExplorer\\procexp64.exe`,
        cmdline: `"${s.host.home}\\Downloads\\ProcessExplorer\\procexp64.exe"`,
      },
      { name: 'perfmon.exe', exe: 'C:\\Windows\\System32\\perfmon.exe', cmdline: 'perfmon.exe /res' },
    ]);
  }
  if (os === 'darwin') {
    const exe = '/System/Applications/Utilities/Activity Monitor.app/Contents/MacOS/Activity Monitor';
    return rng.pick([
      { name: 'Activity Monitor', exe, cmdline: exe },
      { name: 'top', exe: '/usr/bin/top', cmdline: 'top -o cpu' },
    ]);
  }
  return rng.pick([
    { name: 'htop', exe: '/usr/bin/htop', cmdline: 'htop' },
    { name: 'top', exe: '/usr/bin/top', cmdline: 'top' },
    { name: 'btop', exe: '/usr/bin/btop', cmdline: 'btop' },
    { name: 'gnome-system-monitor', exe: '/usr/bin/gnome-system-monitor', cmdline: 'gnome-system-monitor' },
  ]);
}

/**
 * Item 7: a miner that hides when watched. It mines all the time, throttled while you use the
 * computer and full while you are away, and stops within a second or two whenever a process
 * monitor runs, starting again a few seconds after it closes. You open the monitor once or twice
 * while working (the fans are loud); in some variants you leave it open when you go, and the miner
 * waits for it to close.
 */
const hidesWhenWatched: Family = {
  family: 'hides-when-watched',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os = osOf(v);
    const s = setup(rng, { platform: os });
    const tl = session(s, { aways: 2, kinds: awayKinds(rng), tailSec: [240, 480] });
    const h = s.host;
    const kind = kindFor(rng, os);
    const base = exeName(
      s,
      os === 'darwin'
        ? rng.pick(['mdworker_shared2', 'com.apple.sysupd', 'SafariBookmarksAgent'])
        : rng.pick(['GoogleTranslateDesktop', 'dbus-session', 'pulse-helper', 'MicrosoftEdgeUpdateCore', 'gvfsd-meta']),
    );
    // Trojanised installers put it beside the app they pretend to be; droppers in a hidden folder.
    const exe = rng.chance(0.5)
      ? hiddenPath(rng, s, base)
      : os === 'win32'
        ? `C:\\Program Files (x86)\\${rng.pick(['Nitrokod', 'Google Translate', 'Microsoft\\EdgeUpdate'])}\\${base}`
        : os === 'darwin'
          ? `${h.home}/Library/Application Support/${rng.pick(['Google', 'com.apple.sysupd'])}/${base}`
          : `/opt/${rng.pick(['translate', 'pulse-ext', 'gvfs-tools'])}/${base}`;
    const full = levelFor(rng, s, kind);
    // While you work it takes a third to a half: enough to pay, too little to notice.
    const share = rng.range(0.3, 0.5);
    const tool = monitorTool(rng, s);
    const leaveOpen = v >= 3;
    const openings: Span[] = [];
    const stretches = activeStretches(tl);
    for (const [i, st] of stretches.entries()) {
      const len = st.to - st.from;
      if (len < 120_000) continue;
      const from = st.from + rng.range(60_000, Math.max(61_000, len - 60_000));
      if (leaveOpen && i === 0) {
        // Opened near the end of the first stretch, left open through the absence, closed after the return.
        const back = stretches[1]?.from ?? tl.durationMs;
        const open = Math.max(st.from + 20_000, st.to - rng.range(20_000, 50_000));
        openings.push({ from: open, to: Math.min(tl.durationMs, back + rng.range(20_000, 60_000)) });
        continue;
      }
      openings.push({ from, to: Math.min(st.to - 5000, from + rng.range(12_000, 70_000)) });
    }
    const pauses = openings.map((o) => ({ from: o.from + rng.range(500, 2500), to: o.to + rng.range(2000, 15_000) }));
    const tools: Actor[] = openings.map((o, i) =>
      actor({
        key: `monitor-${i}`,
        role: 'lookalike',
        name: tool.name,
        exe: tool.exe,
        cmdline: tool.cmdline,
        user: h.user,
        ...(os === 'win32' ? { parent: 'explorer' } : os === 'darwin' ? { parent: 'launchd' } : {}),
        lives: [o],
        load: [{ kind: 'constant', level: { cpu: noisy(rng.range(1, 4), 0.8) } }],
      }),
    );
    const level: Level = {
      ...(full.cpu ? { cpu: noisy(full.cpu.mean * share, full.cpu.sd) } : {}),
      ...(full.gpu ? { gpu: noisy(full.gpu.mean * share, 2) } : {}),
      ...(full.gpuMemMiB ? { gpuMemMiB: full.gpuMemMiB } : {}),
    };
    const a = actor({
      key: 'miner',
      role: 'target',
      name: base,
      exe,
      cmdline: rng.chance(0.5) ? exe : minerCmdline(rng, exe, kind),
      user: h.user,
      parent: persistence(rng, os),
      lives: wholeTrace(rng),
      load: [{ kind: 'presence', level, lingerSec: minerIdleSec(rng), awayFactor: 1 / share }],
      gpuId: computeGpu(h),
      conns: [poolConn(rng, { tls: rng.chance(0.5) })],
      pauses,
    });
    return {
      summary: `${os} always-on ${kind.toUpperCase()} miner ${base} that stops while ${tool.name} runs (${openings.length} openings${leaveOpen ? ', left open while away' : ''})`,
      plan: plan(s, tl, [a, ...tools]),
    };
  },
};

/**
 * Short bursts: full load for 5-15 s, then 15-45 s of nothing, over and over while you are away,
 * so that no stretch of load lasts long and the average stays low.
 */
const burstMiner: Family = {
  family: 'burst-miner',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os = osOf(v);
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: awayKinds(rng) });
    const kind = kindFor(rng, os);
    const base = kind === 'gpu' ? gpuMinerName(rng, os) : cpuMinerName(rng, s);
    const exe = hiddenPath(rng, s, base);
    const onMs = rng.range(5000, 15_000);
    const offMs = rng.range(15_000, 45_000);
    const level: Level = { ...levelFor(rng, s, kind), duty: { onMs, offMs } };
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: minerCmdline(rng, exe, kind),
      kind,
      level,
      trigger: 'idle',
      rampMs: 500,
    });
    return {
      summary: `${os} ${kind.toUpperCase()} miner ${base} in ${Math.round(onMs / 1000)} s bursts every ${Math.round((onMs + offMs) / 1000)} s while you are away`,
      plan: plan(s, tl, [a]),
    };
  },
};

const GAMES = [
  { dir: 'Cyberpunk 2077', bin: 'Cyberpunk2077' },
  { dir: 'Baldurs Gate 3', bin: 'bg3' },
  { dir: 'Satisfactory', bin: 'FactoryGame-Win64-Shipping' },
  { dir: 'Hades II', bin: 'Hades2' },
];

/**
 * Load shaped like a game's: a GPU at 40-70% that moves with the scene, a core or so of CPU
 * feeding it, no flat line for a hashing rule to see, from a folder shaped like a Steam library.
 * It runs only while you are away: a game nobody plays.
 */
const gameThrottle: Family = {
  family: 'game-throttle-miner',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os = osOf(v);
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    const g = rng.pick(GAMES);
    const exe =
      os === 'win32'
        ? `${winPaths(h).localAppData}\\${g.dir.replace(/ /g, '')}\\Binaries\\Win64\\${g.bin}.exe`
        : os === 'darwin'
          ? `${h.home}/Library/Application Support/Steam/steamapps/common/${g.dir}/${g.bin}.app/Contents/MacOS/${g.bin}`
          : `${h.home}/.local/share/Steam/steamapps/common/${g.dir}/bin/${g.bin}`;
    const base = exeName(s, g.bin);
    const level: Level =
      os === 'darwin'
        ? { cpu: noisy(rng.range(120, 240), rng.range(20, 40)) }
        : {
            gpu: noisy(rng.range(40, 70), rng.range(7, 12)),
            cpu: noisy(rng.range(60, 140), 15),
            gpuMemMiB: rng.pick([2400, 3800, 5200]),
          };
    const a = miner(rng, {
      s,
      tl,
      name: base,
      exe,
      cmdline: os === 'win32' ? `"${exe}" -dx12` : exe,
      kind: os === 'darwin' ? 'cpu' : 'gpu',
      level,
      trigger: 'idle',
      conns: [poolConn(rng, { tls: true })],
    });
    return {
      summary: `${os} miner shaped like the game ${g.dir} (${exe}), game-like load only while you are away`,
      plan: plan(s, tl, [a]),
    };
  },
};

/**
 * Copycats: the name, the folder shape and the parent of a program people trust (Steam's web
 * helper under Steam, OneDrive or Discord in their real per-user folders started by Explorer, a
 * Dropbox or Chrome helper started by launchd), working only while you are away.
 */
const copycat: Family = {
  family: 'benign-copycat',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os = osOf(v);
    const s = setup(rng, { platform: os });
    const tl = session(s, { kinds: awayKinds(rng) });
    const h = s.host;
    const kind = kindFor(rng, os);
    let name: string;
    let exe: string;
    let parent: string;
    let withApps: string[] = [];
    if (os === 'win32') {
      const local = winPaths(h).localAppData;
      const pick = rng.pick([
        { name: 'OneDrive.exe', exe: `${local}\\Microsoft\\OneDrive\\OneDrive.exe` },
        { name: 'Discord.exe', exe: `${local}\\Discord\\app-1.0.${rng.int(9100, 9200)}\\Discord.exe` },
        { name: 'Teams.exe', exe: `${local}\\Microsoft\\Teams\\current\\Teams.exe` },
      ]);
      name = pick.name;
      exe = pick.exe;
      parent = 'explorer';
    } else if (os === 'darwin') {
      const pick = rng.pick([
        { name: 'Dropbox', exe: '/Applications/Dropbox.app/Contents/MacOS/Dropbox' },
        {
          name: 'Google Chrome Helper',
          exe: `${h.home}/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Helper.app/Contents/MacOS/Google Chrome Helper`,
        },
      ]);
      name = pick.name;
      exe = pick.exe;
      parent = 'launchd';
    } else {
      const steam = rng.chance(0.5);
      name = steam ? 'steamwebhelper' : 'ollama';
      exe = steam ? `${h.home}/.local/share/Steam/ubuntu12_64/steamwebhelper` : `${h.home}/.local/bin/ollama`;
      parent = steam ? 'steam' : 'systemd-user';
      if (steam) withApps = ['steam'];
    }
    const a = miner(rng, {
      s,
      tl,
      name,
      exe,
      cmdline: os === 'win32' ? `"${exe}" /background` : exe,
      kind,
      level: levelFor(rng, s, kind),
      trigger: 'idle',
      parent,
    });
    return {
      summary: `${os} ${kind.toUpperCase()} miner posing as ${name} (${exe}, parent ${parent}), only while you are away`,
      plan: { ...plan(s, tl, [a], { withApps }), nameCheck: true },
    };
  },
};

export const ADVERSARIAL_MINERS: Family[] = [execOnLeave, hidesWhenWatched, burstMiner, gameThrottle, copycat];
