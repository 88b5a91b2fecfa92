import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { killProcess } from '../main/engine/actions/process-actions.js';
import { LinuxProcsCollector } from '../main/engine/platform/linux/linux-procs.js';
import { killAndWait, sleep, spawnBurner, waitFor } from './helpers/processes.js';
import { procState, targetOf } from './helpers/proc-target.js';

const linux = process.platform === 'linux';

/** Gone for real: no /proc entry, or the pid already belongs to a newer process. */
function reallyGone(pid: number, startTimeMs: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return targetOf(pid).startTimeMs !== startTimeMs;
  } catch {
    return true;
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe.skipIf(!linux)('killProcess on real processes', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
  });

  it('ends a CPU burner with SIGTERM, identified as the process collector saw it', async () => {
    const burner = spawnBurner();
    children.push(burner);
    const done = exited(burner);
    await sleep(200);
    const collector = new LinuxProcsCollector();
    const seen = (await collector.sample(Date.now())).procs.find((p) => p.pid === burner.pid);
    await collector.stop();
    expect(seen, 'collector lists the burner').toBeDefined();
    const target = { pid: seen!.pid, startTimeMs: seen!.startTimeMs, exe: seen!.exe };

    const result = await killProcess(target);

    expect(result).toMatchObject({ ok: true, action: 'kill', pid: burner.pid });
    if (result.ok) expect(result.detail).toMatch(/exited after SIGTERM/);
    expect(await done).toEqual({ code: null, signal: 'SIGTERM' });
    // Node has collected its exit status: nothing of it is left in /proc.
    expect(reallyGone(target.pid, target.startTimeMs)).toBe(true);
  });

  it('SIGKILLs a process that ignores SIGTERM once the grace period is over', async () => {
    const stubborn = spawn(
      process.execPath,
      ['-e', "process.on('SIGTERM',()=>{}); console.log('ready'); setInterval(()=>{},1000)"],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    children.push(stubborn);
    const done = exited(stubborn);
    // The handler must be installed before SIGTERM arrives, or the default action would end it.
    await new Promise<void>((resolve) => stubborn.stdout?.once('data', () => resolve()));
    const target = targetOf(stubborn.pid);

    const started = Date.now();
    const result = await killProcess(target, { graceMs: 1000 });
    const took = Date.now() - started;

    expect(result).toMatchObject({ ok: true, action: 'kill' });
    if (result.ok) expect(result.detail).toMatch(/ignored SIGTERM for 1 s and was killed with SIGKILL/);
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(4000);
    expect(await done).toEqual({ code: null, signal: 'SIGKILL' });
    expect(reallyGone(target.pid, target.startTimeMs)).toBe(true);
  });

  it('ends a paused process too (SIGTERM stays pending on a stopped process unless it is continued)', async () => {
    const burner = spawnBurner();
    children.push(burner);
    const done = exited(burner);
    await sleep(100);
    const target = targetOf(burner.pid);
    process.kill(target.pid, 'SIGSTOP');
    await waitFor(() => procState(target.pid) === 'T', 2000, 'the burner to stop');

    const result = await killProcess(target, { graceMs: 2000 });

    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.detail).toMatch(/exited after SIGTERM/);
    expect((await done).signal).toBe('SIGTERM');
  });

  it('counts a zombie child of Idlewatch as gone, and says so', async () => {
    // A parent that never collects its children: its killed child stays a zombie. The action is
    // run with that parent as "self", the situation of a child Idlewatch has not reaped yet.
    const parent = spawn('/bin/sh', ['-c', 'sleep 30 & echo $!; exec sleep 60'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(parent);
    const childPid = await new Promise<number>((resolve) =>
      parent.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    await waitFor(() => procState(childPid) === 'S', 2000, 'the child to sleep');
    const target = targetOf(childPid);

    const result = await killProcess(target, { selfPid: parent.pid!, graceMs: 1000 });

    expect(result).toMatchObject({ ok: true, action: 'kill', pid: childPid });
    if (result.ok) expect(result.detail).toMatch(/zombie only until Idlewatch, its parent, collects/);
    expect(procState(childPid)).toBe('Z');
  });
});
