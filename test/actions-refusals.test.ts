import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActionResult } from '../shared/actions.js';
import type { LiveProcess, ProcessInspector } from '../main/engine/actions/process-inspector.js';
import { killProcess, pauseProcess, resumeProcess } from '../main/engine/actions/process-actions.js';
import { processProtection } from '../main/engine/actions/protection.js';
import { killAndWait, sleep, spawnSleeper, waitFor } from './helpers/processes.js';
import { findKernelThread, procState, targetOf } from './helpers/proc-target.js';

const linux = process.platform === 'linux';

function refusal(r: ActionResult): { code: string; reason: string } {
  if (r.ok) throw new Error(`expected a refusal, got: ${r.detail}`);
  return { code: r.code, reason: r.reason };
}

describe.skipIf(!linux)('actions refuse, and do nothing, on Linux', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
  });

  it('a reused pid: a wrong start time is refused and the process keeps running', async () => {
    const sleeper = spawnSleeper();
    children.push(sleeper);
    await waitFor(() => procState(sleeper.pid as number) === 'S', 5000, 'the sleeper to settle');
    const real = targetOf(sleeper.pid);
    const stale = { pid: real.pid, startTimeMs: real.startTimeMs - 60_000 };
    for (const act of [killProcess, pauseProcess, resumeProcess]) {
      const r = refusal(await act(stale));
      expect(r.code).toBe('reused');
      expect(r.reason).toMatch(
        new RegExp(
          `^pid ${real.pid} now belongs to a different process \\(node, started at \\d{4}-.*\\): nothing was done$`,
        ),
      );
    }
    await sleep(200);
    expect(sleeper.exitCode).toBeNull();
    expect(procState(real.pid)).toBe('S');
  });

  it('a process that now runs another program than the one the user saw', async () => {
    const sleeper = spawnSleeper();
    children.push(sleeper);
    // Node takes a moment to start on a loaded machine: asleep means it has settled.
    await waitFor(() => procState(sleeper.pid as number) === 'S', 5000, 'the sleeper to settle');
    const r = refusal(await killProcess({ ...targetOf(sleeper.pid), exe: '/opt/miner/xmrig' }));
    expect(r.code).toBe('reused');
    expect(r.reason).toContain(`now runs ${process.execPath}, not /opt/miner/xmrig`);
    expect(procState(sleeper.pid!)).toBe('S');
  });

  it('a process that has exited', async () => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const target = targetOf(child.pid);
    await new Promise((r) => child.once('exit', r));
    await waitFor(() => procState(target.pid) === null, 2000, 'the child to be reaped');
    const r = refusal(await killProcess(target));
    expect(r).toEqual({ code: 'gone', reason: `process ${target.pid} has exited: nothing was done` });
  });

  it('a zombie counts as exited', async () => {
    const parent = spawn('/bin/sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 60'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(parent);
    const zombie = await new Promise<number>((resolve) =>
      parent.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    const target = targetOf(zombie);
    await waitFor(() => procState(zombie) === 'Z', 3000, 'the child to become a zombie');
    const r = refusal(await pauseProcess(target));
    expect(r.code).toBe('gone');
    expect(r.reason).toContain(`zombie until its parent, pid ${parent.pid}, collects it`);
  });

  it('pid 1, pid 0 and negative pids (process groups to process.kill)', async () => {
    const one = refusal(await killProcess({ pid: 1, startTimeMs: 0 }));
    expect(one.code).toBe('protected');
    expect(one.reason).toMatch(/^pid 1 is the system's init process/);
    expect(refusal(await pauseProcess({ pid: 0, startTimeMs: 0 })).code).toBe('protected');
    expect(refusal(await killProcess({ pid: -1, startTimeMs: 0 })).reason).toBe(
      '-1 is not a process id: nothing was done',
    );
    expect(refusal(await killProcess({ pid: 1.5, startTimeMs: 0 })).code).toBe('protected');
  });

  it('a kernel thread', async (ctx) => {
    const kthread = findKernelThread();
    if (kthread === null) {
      ctx.skip(); // no kthreadd visible here (a pid namespace)
      return;
    }
    const target = targetOf(kthread);
    for (const act of [killProcess, pauseProcess]) {
      const r = refusal(await act(target));
      expect(r.code).toBe('protected');
      expect(r.reason).toMatch(/is a kernel thread/);
    }
  });

  it('Idlewatch itself and the processes that started it', async () => {
    const self = refusal(await killProcess(targetOf(process.pid)));
    expect(self.code).toBe('self');
    expect(self.reason).toMatch(/is Idlewatch itself: nothing was done/);
    const parent = refusal(await pauseProcess(targetOf(process.ppid)));
    expect(parent.code).toBe('self');
    expect(parent.reason).toMatch(/one of the processes that started Idlewatch/);
  });
});

/** A scripted inspector, for the rules of platforms this machine is not. */
function fakeInspector(platform: NodeJS.Platform, procs: LiveProcess[]): ProcessInspector {
  return {
    platform,
    startToleranceMs: 1500,
    inspect: async (pid) => procs.find((p) => p.pid === pid) ?? null,
    poll: async (pid) => (procs.some((p) => p.pid === pid) ? 'running' : 'gone'),
    lineage: async (pid) => [pid],
    parentTable: async () => new Map(procs.map((p) => [p.pid, p.ppid])),
  };
}

function live(p: Partial<LiveProcess> & { pid: number }): LiveProcess {
  return {
    ppid: 100,
    name: 'x',
    exe: null,
    cmdline: '',
    startTimeMs: 1_000_000,
    uid: 1000,
    user: 'amy',
    status: 'running',
    kernelThread: false,
    ...p,
  };
}

describe('platform rules (scripted processes)', () => {
  it('Windows: pausing is refused as unsupported, before anything is read', async () => {
    const inspector = fakeInspector('win32', []);
    const r = refusal(await pauseProcess({ pid: 5000, startTimeMs: 0 }, { inspector }));
    expect(r).toEqual({
      code: 'unsupported',
      reason: 'pausing is not supported on Windows: Idlewatch can kill the process or allowlist it instead',
    });
    expect(refusal(await resumeProcess({ pid: 5000, startTimeMs: 0 }, { inspector })).code).toBe('unsupported');
  });

  it('Windows: pids 0 and 4 and the real System32 csrss.exe are protected; a csrss.exe elsewhere is not', async () => {
    const inspector = fakeInspector('win32', []);
    expect(refusal(await killProcess({ pid: 4, startTimeMs: 0 }, { inspector })).reason).toMatch(
      /Windows System process/,
    );
    expect(refusal(await killProcess({ pid: 0, startTimeMs: 0 }, { inspector })).code).toBe('protected');
    const env = { SystemRoot: 'C:\\Windows' };
    const real = live({ pid: 600, name: 'csrss.exe', exe: 'C:\\WINDOWS\\system32\\csrss.exe' });
    expect(processProtection(real, 'win32', [1], env)?.code).toBe('protected');
    const hidden = live({ pid: 601, name: 'csrss.exe', exe: null });
    expect(processProtection(hidden, 'win32', [1], env)?.code).toBe('protected');
    const fake = live({ pid: 602, name: 'csrss.exe', exe: 'C:\\Users\\amy\\AppData\\Local\\Temp\\csrss.exe' });
    expect(processProtection(fake, 'win32', [1], env)).toBeNull();
  });

  it('macOS: launchd by pid, system locations by path', () => {
    const windowServer = live({
      pid: 400,
      name: 'WindowServer',
      exe: '/System/Library/PrivateFrameworks/SkyLight.framework/Resources/WindowServer',
    });
    expect(processProtection(windowServer, 'darwin', [1])?.code).toBe('protected');
    expect(processProtection(live({ pid: 401, exe: '/Users/amy/Downloads/xmrig' }), 'darwin', [1])).toBeNull();
  });

  it('Linux: a systemd --user service manager is protected by its executable', () => {
    const userManager = live({
      pid: 900,
      name: 'systemd',
      exe: '/usr/lib/systemd/systemd',
      cmdline: '/usr/lib/systemd/systemd --user',
    });
    expect(processProtection(userManager, 'linux', [1])?.reason).toMatch(/service manager/);
  });
});
