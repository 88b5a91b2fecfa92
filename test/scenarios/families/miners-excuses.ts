/**
 * Miners that borrow an excuse (issue 11, items 2, 3 and 6): one that holds an idle inhibitor
 * posing as a media player, a browser tab that mines while another tab plays a video, a miner
 * named like Steam's shader pre-compiler, miners started over SSH (with a real and with a fake
 * sshd), and a scheduler re-launching a miner from a system folder every few minutes while the
 * user is away. The recorder lists no connections here: the pool connection would give most of
 * them away, and these families measure what the excuse itself is worth.
 */
import { computeGpu, winPaths } from '../hosts.js';
import type { Actor, Level } from '../model.js';
import { actor, cpuMining, type Family, idleWork, noisy, session, setup, spans, wholeTrace } from './common.js';
import { scheduledRuns, sshListener, sshLogin } from './excuse-kit.js';
import { minerIdleSec, plan } from './miner-kit.js';

const inhibitorMiner: Family = {
  family: 'inhibitor-posing-miner',
  label: 'miner',
  variants: 6,
  build(rng, v) {
    const os = (['linux', 'linux', 'win32', 'win32', 'darwin', 'linux'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os, collectsConns: false });
    const h = s.host;
    const p = winPaths(h);
    const pose = [
      // A "player" in a user-writable folder that takes a screen-saver inhibitor itself.
      { name: 'vlc', exe: `${h.home}/.local/share/vlc/vlc`, inhibitor: 'vlc', tab: false },
      { name: 'chrome', exe: '/opt/google/chrome/chrome', inhibitor: 'google-chrome', tab: true },
      { name: 'mpc-hc64.exe', exe: `${p.appData}\\MPC-HC\\mpc-hc64.exe`, inhibitor: 'mpc-hc64.exe', tab: false },
      {
        name: 'msedge.exe',
        exe: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
        inhibitor: 'msedge.exe',
        tab: true,
      },
      { name: 'IINA', exe: `${h.home}/Applications/IINA.app/Contents/MacOS/IINA`, inhibitor: 'IINA', tab: false },
      // The real player's path (a root dropper replaced it): four cores flat is still no film.
      { name: 'mpv', exe: '/usr/bin/mpv', inhibitor: 'mpv', tab: false },
    ][v]!;
    // The person leaves; a video keeps playing (or the miner claims one is) the whole time.
    s.tb.active(rng.range(180, 500));
    s.tb.away(rng.range(900, 1800), { inhibitor: pose.inhibitor });
    s.tb.active(rng.range(120, 400));
    const tl = s.tb.build();
    const after = minerIdleSec(rng);
    const windows = idleWork(tl, rng, { afterIdleSec: after, delaySec: [0, 30], stopSec: [0.8, 3], minRunSec: 20 });
    const threads = rng.int(2, Math.min(6, h.cpuCores));
    const level = cpuMining(threads, rng);
    const actors: Actor[] = [];
    const browserParent = os === 'linux' ? 'chrome' : 'browser';
    if (pose.tab) {
      // Another tab plays the video: its decoding shows in the browser's GPU process.
      actors.push(
        actor({
          key: 'video',
          role: 'lookalike',
          name: pose.name,
          exe: pose.exe,
          cmdline: `${pose.exe} --type=gpu-process --gpu-preferences=WAAAAAAAAAAgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAA`,
          user: h.user,
          parent: browserParent,
          lives: wholeTrace(rng, [600, 4000]),
          gpuId: computeGpu(h),
          load: [{ kind: 'constant', level: { cpu: noisy(10, 2), gpu: noisy(rng.range(8, 18), 2), gpuMemMiB: 250 } }],
        }),
      );
    }
    actors.push(
      actor({
        key: 'miner',
        role: 'target',
        name: pose.name,
        exe: pose.exe,
        cmdline: pose.tab
          ? `${pose.exe} --type=renderer --lang=en-US --num-raster-threads=4 --renderer-client-id=${rng.int(20, 60)}`
          : pose.exe,
        user: h.user,
        parent: pose.tab ? browserParent : os === 'win32' ? 'explorer' : os === 'darwin' ? 'launchd' : 'systemd-user',
        lives: wholeTrace(rng, [300, 3000]),
        load: [spans(windows, level, rng.range(1500, 6000)), { kind: 'constant', level: { cpu: noisy(0.5, 0.3) } }],
        expect: { onlyWhenIdleSecAtLeast: after, graceSec: 3 },
      }),
    );
    return {
      summary: `${os} ${pose.tab ? 'browser tab mining while another tab plays a video' : `miner posing as ${pose.name}`} (${threads} threads) with an idle inhibitor (${pose.inhibitor})`,
      plan: plan(s, tl, actors, pose.tab ? { browser: os === 'linux' ? 'chrome' : 'edge' } : {}),
    };
  },
};

const shaderImpostor: Family = {
  family: 'steam-shader-impostor',
  label: 'miner',
  variants: 4,
  build(rng, v) {
    const os = (['linux', 'linux', 'win32', 'win32'] as const)[v] ?? 'linux';
    const s = setup(rng, { platform: os, collectsConns: false });
    const tl = session(s, { aways: 1, awaySec: [900, 1800] });
    const h = s.host;
    const p = winPaths(h);
    const where = [
      { name: 'fossilize_replay', exe: `${h.home}/.local/bin/fossilize_replay`, parent: 'systemd-user' },
      { name: 'fossilize_replay', exe: `${h.home}/Games/tools/fossilize_replay`, parent: 'cron' },
      { name: 'fossilize-replay64.exe', exe: `${p.appData}\\Valve\\fossilize-replay64.exe`, parent: 'explorer' },
      // Dropped into Steam's own folder (writable by its user), started by a scheduled task.
      {
        name: 'fossilize-replay64.exe',
        exe: 'C:\\Program Files (x86)\\Steam\\fossilize-replay64.exe',
        parent: 'svchost.exe#3',
      },
    ][v]!;
    const after = minerIdleSec(rng);
    const windows = idleWork(tl, rng, { afterIdleSec: after, delaySec: [0, 30], stopSec: [0.8, 3], minRunSec: 20 });
    const threads = rng.int(2, Math.min(6, h.cpuCores));
    const a = actor({
      key: 'miner',
      role: 'target',
      name: where.name,
      exe: where.exe,
      cmdline: `${where.exe} --master-process --num-threads ${threads} --quiet-slave`,
      user: h.user,
      parent: where.parent,
      lives: windows.map((w) => ({ from: w.from - rng.range(200, 1500), to: w.to + rng.range(50, 400) })),
      load: [spans(windows, cpuMining(threads, rng), rng.range(1500, 6000))],
      expect: { onlyWhenIdleSecAtLeast: after, graceSec: 3 },
    });
    return {
      summary: `${os} miner named ${where.name} outside a Steam started by Steam (${where.exe}), starts when idle`,
      plan: plan(s, tl, [a], os === 'win32' ? { withApps: ['steam'] } : {}),
    };
  },
};

const sshMiner: Family = {
  family: 'ssh-session-miner',
  label: 'miner',
  variants: 5,
  build(rng, v) {
    const os = v === 4 ? 'darwin' : 'linux';
    const s = setup(rng, { platform: os, collectsConns: rng.chance(0.5) });
    const tl = session(s, { aways: 1, awaySec: [1200, 2400] });
    const h = s.host;
    const gap = tl.quietGaps(tl.thresholdSec)[0] ?? { from: 60_000, to: tl.durationMs };
    // The attacker logs in with a stolen password or key while nobody is at the desk.
    const login = gap.from + rng.range(tl.thresholdSec + 30, tl.thresholdSec + 300) * 1000;
    const start = login + rng.range(15, 90) * 1000;
    const end = gap.to + rng.range(1, 3) * 1000;
    const actors: Actor[] = [];
    const fakeSshd = v === 2;
    let parent: string;
    if (fakeSshd) {
      // A dropper's own "sshd" in a temp folder: its children claim a session they never had.
      actors.push(
        actor({
          key: 'fake-sshd',
          role: 'target',
          name: 'sshd',
          exe: `/tmp/.ssh-${rng.alnum(4)}/sshd`,
          cmdline: `sshd: ${h.user}@pts/3`,
          user: h.user,
          parent: 'systemd-user',
          lives: [{ from: login, to: end + 5000 }],
          load: [],
        }),
      );
      parent = 'fake-sshd';
    } else {
      if (os === 'darwin') actors.push(sshListener(rng, 'darwin'));
      const ssh = sshLogin(rng, {
        os,
        user: h.user,
        client: `203.0.113.${rng.int(2, 250)}`,
        from: login,
        to: end + 5000,
        listener: os === 'darwin' ? 'sshd-listener' : 'sshd',
        role: 'lookalike',
      });
      actors.push(...ssh.actors);
      parent = ssh.shell;
    }
    const pick = [
      { name: 'tsm', exe: '/tmp/.X25-unix/.rsync/c/lib/64/tsm' },
      { name: 'kswapd0', exe: `${h.home}/.configrc/a/kswapd0` },
      // Behaviour only: a bland name in an ordinary folder; only the fake parent is wrong.
      { name: 'node', exe: `${h.home}/.local/bin/node` },
      { name: 'dbused', exe: `${h.home}/.cache/dbus/dbused` },
      { name: 'xpcproxyd', exe: `/Users/Shared/.${rng.alnum(4)}/xpcproxyd` },
    ][v]!;
    const threads = rng.int(2, Math.min(8, h.cpuCores));
    actors.push(
      actor({
        key: 'miner',
        role: 'target',
        name: pick.name,
        exe: pick.exe,
        cmdline: pick.exe,
        user: h.user,
        parent,
        lives: [{ from: start, to: end }],
        load: [spans([{ from: start, to: end }], cpuMining(threads, rng), rng.range(1500, 6000))],
      }),
    );
    return {
      summary: `${os} miner ${pick.name} started over ${fakeSshd ? 'a fake sshd in /tmp' : 'SSH'} while the user is away (${threads} threads)`,
      plan: plan(s, tl, actors),
    };
  },
};

const cronRespawn: Family = {
  family: 'cron-respawned-miner',
  label: 'miner',
  variants: 4,
  build(rng, v) {
    const os = v < 2 ? 'linux' : 'win32';
    const s = setup(rng, { platform: os, collectsConns: false, ...(v === 3 ? { privileged: true } : {}) });
    const tl = session(s, { aways: 1, awaySec: [1500, 2700] });
    const h = s.host;
    // A root dropper names its miner like an OS helper in a system folder (the folder alone earns
    // the "program of the operating system" excuse); cron or a scheduled task starts it every few
    // minutes, and it works only when nobody has touched the machine for a while.
    const pick = [
      { name: 'systemd-fsck-helper', exe: '/usr/sbin/systemd-fsck-helper', parent: 'cron', user: 'root' },
      {
        name: 'kded-upd',
        exe: '/usr/lib/x86_64-linux-gnu/libexec/kded-upd',
        parent: 'cron',
        user: 'root',
      },
      { name: 'WmiApSrvEx.exe', exe: 'C:\\Windows\\System32\\WmiApSrvEx.exe', parent: 'svchost.exe#3', user: 'SYSTEM' },
      { name: 'CompPkgSrvc.exe', exe: 'C:\\Windows\\System32\\CompPkgSrvc.exe', parent: 'svchost.exe#3', user: h.user },
    ][v]!;
    const idleSec = rng.pick([60, 120, 180]);
    const threads = rng.int(2, Math.min(6, h.cpuCores));
    const level: Level = cpuMining(threads, rng);
    const runs = scheduledRuns(tl, rng, {
      periodMs: rng.pick([3, 5, 5, 10]) * 60_000,
      idleSec,
      level,
      stopSec: [0.8, 3],
    });
    const a = actor({
      key: 'miner',
      role: 'target',
      name: pick.name,
      exe: pick.exe,
      cmdline: pick.exe,
      user: pick.user,
      parent: pick.parent,
      lives: runs.lives,
      load: [{ kind: 'spans', spans: runs.work }],
      expect: { onlyWhenIdleSecAtLeast: idleSec, graceSec: 3 },
    });
    return {
      summary: `${os} ${pick.name} in a system folder re-launched by ${pick.parent === 'cron' ? 'cron' : 'Task Scheduler'} every few minutes, mines only while idle`,
      plan: plan(s, tl, [a]),
    };
  },
};

export const EXCUSE_MINERS: Family[] = [inhibitorMiner, shaderImpostor, sshMiner, cronRespawn];
