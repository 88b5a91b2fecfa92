import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { pauseProcess, resumeProcess } from '../main/engine/actions/process-actions.js';
import { killAndWait, sleep, spawnBurner } from './helpers/processes.js';
import { cpuTicks, procState, targetOf } from './helpers/proc-target.js';

const linux = process.platform === 'linux';

describe.skipIf(!linux)('pauseProcess / resumeProcess on a real CPU burner', () => {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
  });

  it('stops it (state T, no CPU time) and lets it run again (CPU time advances)', async () => {
    const burner = spawnBurner();
    children.push(burner);
    await sleep(200);
    const target = targetOf(burner.pid);

    const paused = await pauseProcess(target);
    expect(paused).toMatchObject({ ok: true, action: 'pause', pid: target.pid });
    if (paused.ok) expect(paused.detail).toMatch(/is paused/);
    expect(procState(target.pid)).toBe('T');
    const before = cpuTicks(target.pid)!;
    await sleep(500);
    // One tick of slack: the last tick may be accounted just after the stop.
    expect(cpuTicks(target.pid)! - before).toBeLessThanOrEqual(1);

    const again = await pauseProcess(target);
    expect(again).toMatchObject({ ok: true });
    if (again.ok) expect(again.detail).toMatch(/already paused/);

    const resumed = await resumeProcess(target);
    expect(resumed).toMatchObject({ ok: true, action: 'resume' });
    if (resumed.ok) expect(resumed.detail).toMatch(/running again/);
    expect(procState(target.pid)).not.toBe('T');
    const running = cpuTicks(target.pid)!;
    await sleep(500);
    // A burner gets ~50 ticks in 500 ms; 10 leaves room for a busy CI machine.
    expect(cpuTicks(target.pid)! - running).toBeGreaterThanOrEqual(10);

    const notPaused = await resumeProcess(target);
    expect(notPaused).toMatchObject({ ok: true });
    if (notPaused.ok) expect(notPaused.detail).toMatch(/was not paused/);
  });
});
