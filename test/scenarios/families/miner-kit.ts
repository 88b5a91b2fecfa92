/**
 * What the miner families share: how miners are named, where droppers put them, the command
 * lines real miners take, and one constructor for a miner actor from its trigger and load.
 */
import { computeGpu, POOL_HOSTS, poolConn, winPaths, xmrWallet } from '../hosts.js';
import type { Actor, Level, ScenarioPlan, Span } from '../model.js';
import type { Rng } from '../prng.js';
import {
  actor,
  type AwayKind,
  END,
  type FinishOptions,
  finish,
  idleWork,
  noisy,
  type Setup,
  type session,
  spans,
  wholeTrace,
} from './common.js';

export type Os = 'linux' | 'win32' | 'darwin';

/** The miner's own idle threshold: its author's choice, unrelated to ours. */
export function minerIdleSec(rng: Rng): number {
  return rng.pick([30, 60, 60, 90, 120, 180, 300]);
}

/** A GPU miner's command line, as the real tools take their options. */
export function gpuMinerArgs(rng: Rng, bin: string): string {
  const pool = rng.pick(POOL_HOSTS);
  const port = rng.pick([3333, 4444, 6060, 10300, 1010]);
  const rig = rng.alnum(6);
  return rng.pick([
    `${bin} -a kawpow -o stratum+tcp://${pool}:${port} -u R${rng.alnum(33)}.${rig} -p x --no-watchdog`,
    `${bin} --algo ETCHASH --pool ${pool}:${port} --user 0x${rng.hex(40)}.${rig} --tls off --apiport 0`,
    `${bin} --algo autolykos2 --server ${pool} --port ${port} --user 9${rng.alnum(50)}.${rig} --pec 0`,
  ]);
}

/** xmrig-style options, the way droppers launch it. */
export function xmrigArgs(rng: Rng, bin: string, opts: { explicit?: boolean; threadsHint?: number } = {}): string {
  const pool = rng.pick(POOL_HOSTS);
  const port = rng.pick([3333, 5555, 7777, 10128, 14444, 443]);
  const parts = [bin];
  if (opts.explicit || rng.chance(0.5))
    parts.push(
      '-o',
      `stratum+tcp://${pool}:${port}`,
      '-u',
      xmrWallet(rng),
      '-p',
      rng.pick(['x', 'worker1', rng.alnum(8)]),
    );
  parts.push('--donate-level', '1', '-a', 'rx/0');
  if (opts.threadsHint) parts.push(`--cpu-max-threads-hint=${opts.threadsHint}`);
  if (rng.chance(0.4)) parts.push('-B');
  if (rng.chance(0.3)) parts.push('--randomx-1gb-pages');
  return parts.join(' ');
}

/**
 * How a miner gets its settings. Many droppers ship a config.json beside the binary (Kinsing,
 * TeamTNT and most Windows droppers), many pass pool and wallet on the command line (botnet shell
 * scripts, batch files), some pass only tuning flags. Only the second kind is visible in argv.
 */
export function minerCmdline(rng: Rng, exe: string, kind: 'gpu' | 'cpu'): string {
  const style = rng.weighted<'args' | 'config' | 'flags'>([
    ['args', 4],
    ['config', 4],
    ['flags', 2],
  ]);
  if (style === 'args') return kind === 'gpu' ? gpuMinerArgs(rng, exe) : xmrigArgs(rng, exe);
  if (style === 'config') return rng.pick([exe, `${exe} -c config.json`, `${exe} --config=.cfg`, `${exe} -B`]);
  return kind === 'gpu'
    ? `${exe} ${rng.pick(['--intensity 22 --no-watchdog', '--kernel 2 --api-bind-http 0', '-i 20 --no-color'])}`
    : `${exe} ${rng.pick(['--threads=6 --cpu-priority=0 --background', '--max-cpu-usage=75 -B', '--no-color --print-time=3600'])}`;
}

/** Binary names: the miner's own (T-Rex dropped as is) or something bland. */
export function gpuMinerName(rng: Rng, os: Os): string {
  const own = os === 'win32' ? GPU_NAMES_WIN : GPU_NAMES_LINUX;
  const bland =
    os === 'win32'
      ? ['nvcontainer64.exe', 'GpuUpdate.exe', 'dxdiagsvc.exe', 'WmiApSrvEx.exe']
      : ['vulkan-helper', 'gpuupd', 'nv-fan', 'drmcache'];
  return rng.chance(0.5) ? rng.pick(own) : rng.pick(bland);
}

/** Where droppers put miners: writable, out of sight, often dot-folders. */
export function hiddenPath(rng: Rng, s: Setup, file: string): string {
  const h = s.host.home;
  if (s.host.platform === 'win32') {
    const p = winPaths(s.host);
    return rng.pick([
      `${p.temp}\\${rng.alnum(8)}\\${file}`,
      `${p.appData}\\Microsoft\\Windows\\Templates\\${file}`,
      `${p.appData}\\${rng.pick(['Google', 'Intel', 'NVIDIA'])}\\${rng.alnum(6)}\\${file}`,
      `${p.localAppData}\\Temp\\RarSFX0\\${file}`,
      `${p.localAppData}\\Microsoft\\Windows\\PowerShell\\${file}`,
      `${p.programData}\\${rng.pick(['WindowsTask', 'IntelGraphics', 'Microsoft\\Network'])}\\${file}`,
    ]);
  }
  if (s.host.platform === 'darwin') {
    return rng.pick([
      `${h}/Library/.${rng.alnum(5)}/${file}`,
      `/Users/Shared/.${rng.alnum(4)}/${file}`,
      `/private/tmp/.${rng.alnum(3)}/${file}`,
    ]);
  }
  return rng.pick([
    `/tmp/.x/${file}`,
    `${h}/.cache/.nv/${file}`,
    `/var/tmp/.${rng.alnum(4)}/${file}`,
    `/dev/shm/.${rng.alnum(3)}/${file}`,
    `/tmp/.X11-unix/.${rng.alnum(2)}/${file}`,
    `${h}/.local/lib/${rng.pick(['systemd', 'dbus', 'gvfs'])}-${rng.alnum(4)}/${file}`,
    `${h}/.local/share/.${rng.alnum(6)}/${file}`,
  ]);
}

/** The process that launched it: a user service, cron, the Run key (explorer), a LaunchAgent. */
export function persistence(rng: Rng, os: Os): string {
  if (os === 'win32') return rng.pick(['explorer', 'svchost.exe#3']);
  if (os === 'darwin') return 'launchd';
  return rng.pick(['systemd-user', 'cron', 'systemd']);
}

export function exeName(s: Setup, base: string): string {
  return s.host.platform === 'win32' && !base.endsWith('.exe') ? `${base}.exe` : base;
}

/**
 * Windows of work for an idle-waiting miner, and its lives: either one long-lived process that
 * pauses (xmrig's pause-on-active, T-Rex behind a watchdog) or a new process per idle stretch (a
 * wrapper script or scheduled task that starts it and kills it on input).
 */
export function idleMinerLives(rng: Rng, windows: Span[], respawn: boolean): Span[] {
  if (!respawn) return wholeTrace(rng);
  return windows.map((w) => ({ from: w.from - rng.range(200, 1500), to: w.to + rng.range(50, 400) }));
}

export interface MinerSpec {
  s: Setup;
  tl: ReturnType<typeof session>;
  name: string;
  exe: string | null;
  cmdline: string;
  kind: 'gpu' | 'cpu';
  level: Level;
  trigger: 'idle' | 'locked' | 'always';
  afterIdleSec?: number;
  delaySec?: [number, number];
  respawn?: boolean;
  user?: string;
  parent?: string;
  conns?: { proto: string; remote: string; state: string }[];
  rampMs?: number;
}

/** One miner actor from its identity, trigger and level. */
export function miner(rng: Rng, m: MinerSpec): Actor {
  const host = m.s.host;
  const stop: [number, number] = [0.8, 3];
  let windows: Span[];
  let expect: Actor['expect'];
  if (m.trigger === 'idle') {
    const after = m.afterIdleSec ?? minerIdleSec(rng);
    windows = idleWork(m.tl, rng, {
      afterIdleSec: after,
      delaySec: m.delaySec ?? [0, 45],
      stopSec: stop,
      minRunSec: 20,
    });
    expect = { onlyWhenIdleSecAtLeast: after, graceSec: stop[1] };
  } else if (m.trigger === 'locked') {
    windows = m.tl.lockWindows(
      () => rng.range(3, 40),
      () => rng.range(0.5, 2),
    );
    expect = { onlyWhileLocked: true, graceSec: 2 };
  } else {
    windows = [{ from: -3_600_000, to: END }];
  }
  const lives = m.trigger === 'always' ? wholeTrace(rng) : idleMinerLives(rng, windows, m.respawn ?? false);
  // A paused GPU miner keeps its CUDA context (a little memory) and polls now and then.
  const rest: Level = m.kind === 'gpu' ? { cpu: noisy(0.3, 0.3), gpuMemMiB: 90 } : { cpu: noisy(0.2, 0.2) };
  return actor({
    key: 'miner',
    role: 'target',
    name: m.name,
    exe: m.exe,
    cmdline: m.cmdline,
    user: m.user ?? host.user,
    parent: m.parent ?? persistence(rng, host.platform),
    lives,
    load: [
      spans(windows, m.level, m.rampMs ?? (m.kind === 'gpu' ? rng.range(4000, 25_000) : rng.range(1500, 9000))),
      { kind: 'constant', level: rest },
    ],
    gpuId: computeGpu(host),
    conns: m.conns ?? [poolConn(rng)],
    ...(expect ? { expect } : {}),
  });
}

export function awayKinds(rng: Rng): AwayKind[] {
  return rng.pick<AwayKind[]>([
    ['away'],
    ['away', 'locked-auto'],
    ['locked-manual', 'away'],
    ['away', 'locked-manual', 'locked-auto'],
  ]);
}

export function plan(
  s: Setup,
  tl: ReturnType<typeof session>,
  actors: Actor[],
  opts: FinishOptions = {},
): ScenarioPlan {
  return finish(s, tl, actors, opts);
}

export const GPU_NAMES_LINUX = ['t-rex', 'lolMiner', 'miner', 'nbminer', 'gminer', 'xmrig-cuda'];
export const GPU_NAMES_WIN = ['t-rex.exe', 'lolMiner.exe', 'miner.exe', 'nbminer.exe', 'SRBMiner-MULTI.exe'];
