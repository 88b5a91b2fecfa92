/**
 * The protection list against real processes: a real session program (dbus-daemon from
 * /usr/bin, root-owned) is never paused and killed only when confirmed twice; copies of it and of
 * a burner renamed to look like Xorg or dbus-daemon stay ordinary processes (identity is the file
 * the process runs and who owns it, not its name); Idlewatch's own children (started through the
 * engine's runFile) and the processes of the app it runs under are refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killProcess, pauseProcess, resumeProcess } from '../main/engine/actions/process-actions.js';
import { LinuxInspector } from '../main/engine/actions/process-inspector.js';
import { linuxSessionRole } from '../main/engine/actions/protection.js';
import { runFile } from '../main/engine/util/exec.js';
import { ownChildPids } from '../main/engine/util/own-children.js';
import type { ActionResult } from '../shared/actions.js';
import { killAndWait, sleep, waitFor } from './helpers/processes.js';
import { procState, targetOf } from './helpers/proc-target.js';

const linux = process.platform === 'linux';
const DBUS = '/usr/bin/dbus-daemon';
const haveDbus = linux && existsSync(DBUS);

function refusal(r: ActionResult): { code: string; reason: string } {
  if (r.ok) throw new Error(`expected a refusal, got: ${r.detail}`);
  return { code: r.code, reason: r.reason };
}

function done(r: ActionResult): string {
  if (!r.ok) throw new Error(`expected success, got ${r.code}: ${r.reason}`);
  return r.detail;
}

let dir = '';
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iw-protect-'));
});

afterAll(async () => {
  await Promise.all(children.map(killAndWait));
  rmSync(dir, { recursive: true, force: true });
});

function track(c: ChildProcess): ChildProcess {
  children.push(c);
  if (c.pid === undefined) throw new Error('spawn failed');
  return c;
}

/** A copy of node under `name` in the temp folder, burning a core: what a disguised miner looks like. */
function disguisedBurner(name: string, sub = 'bin'): ChildProcess {
  const folder = join(dir, sub);
  mkdirSync(folder, { recursive: true });
  const exe = join(folder, name);
  if (!existsSync(exe)) {
    copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
  }
  return track(spawn(exe, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

/** A real session bus on a socket in the temp folder: /usr/bin/dbus-daemon, owned by root. */
async function realDbus(): Promise<ChildProcess> {
  const c = track(
    spawn(DBUS, ['--session', '--nofork', '--nopidfile', `--address=unix:path=${join(dir, `bus-${Date.now()}`)}`], {
      stdio: 'ignore',
    }),
  );
  await waitFor(() => procState(c.pid as number) !== null, 5000, 'dbus-daemon to start');
  await sleep(200);
  return c;
}

describe.skipIf(!linux)('a burner disguised as a session program is still an ordinary process', () => {
  it('a copy of a program named Xorg in a temp folder: paused, resumed and killed like any other', async () => {
    const fake = disguisedBurner('Xorg');
    await sleep(200);
    const target = targetOf(fake.pid);
    const live = await new LinuxInspector().inspect(target.pid);
    expect(live?.name).toBe('Xorg');
    expect(linuxSessionRole(live!)).toBeNull();
    expect(done(await pauseProcess(target))).toMatch(/is paused/);
    expect(procState(target.pid)).toBe('T');
    expect(done(await resumeProcess(target))).toMatch(/is running again/);
    expect(done(await killProcess(target, { graceMs: 1000 }))).toMatch(/exited after SIGTERM/);
  });

  it('a copy of the real dbus-daemon under /tmp, even root-owned: not protected (not at a system path)', async () => {
    const folder = join(dir, 'usr', 'bin');
    mkdirSync(folder, { recursive: true });
    const copy = join(folder, 'dbus-daemon');
    copyFileSync(DBUS, copy);
    chmodSync(copy, 0o755);
    const c = track(
      spawn(copy, ['--session', '--nofork', '--nopidfile', `--address=unix:path=${join(dir, 'copy-bus')}`], {
        stdio: 'ignore',
      }),
    );
    await waitFor(() => procState(c.pid as number) !== null, 5000, 'the copy to start');
    await sleep(200);
    const target = targetOf(c.pid);
    expect(done(await pauseProcess(target))).toMatch(/is paused/);
    expect(done(await killProcess(target, { graceMs: 1000 }))).toMatch(/exited/);
  });

  it('a program at a system path but writable by others is not trusted', () => {
    const base = {
      pid: 10,
      ppid: 1,
      name: 'Xorg',
      exe: '/usr/lib/xorg/Xorg',
      cmdline: '',
      startTimeMs: 0,
      uid: 0,
      user: 'root',
      status: 'running' as const,
      kernelThread: false,
    };
    const rootOwned = { uid: 0, mode: 0o755, dirUid: 0, dirMode: 0o755 };
    expect(linuxSessionRole({ ...base, exeFile: rootOwned })?.what).toBe('your display server');
    expect(linuxSessionRole({ ...base, exeFile: { ...rootOwned, mode: 0o777 } })).toBeNull();
    expect(linuxSessionRole({ ...base, exeFile: { ...rootOwned, dirMode: 0o777 } })).toBeNull();
    expect(linuxSessionRole({ ...base, exeFile: { ...rootOwned, uid: 1000 } })).toBeNull();
    expect(linuxSessionRole({ ...base, exeFile: null })).toBeNull();
    expect(linuxSessionRole({ ...base, exe: '/usr/local/bin/Xorg', exeFile: rootOwned })).toBeNull();
    expect(linuxSessionRole({ ...base, exe: '/usr/bin/../../tmp/Xorg', exeFile: rootOwned })).toBeNull();
    // An upgrade replaced the file while it runs: still the system's program.
    expect(linuxSessionRole({ ...base, exe: '/usr/lib/xorg/Xorg (deleted)', exeFile: rootOwned })?.what).toBe(
      'your display server',
    );
  });
});

describe.skipIf(!haveDbus)('a real session bus (/usr/bin/dbus-daemon)', () => {
  it('is never paused, and killed only when confirmed a second time', async () => {
    const bus = await realDbus();
    const target = targetOf(bus.pid);
    const pause = refusal(await pauseProcess(target));
    expect(pause.code).toBe('session');
    expect(pause.reason).toBe(
      `process ${target.pid} (dbus-daemon) is a message bus (${DBUS}): desktop programs lose their connection to each other and the session may stop working. Idlewatch never pauses it: a paused session process can leave you no way to click Resume. Nothing was done`,
    );
    expect(procState(target.pid)).toMatch(/^[RS]$/);
    const first = refusal(await killProcess(target));
    expect(first.code).toBe('confirm');
    expect(first.reason).toMatch(/confirm a second time to kill it\. Nothing was done yet$/);
    await sleep(100);
    expect(procState(target.pid)).toMatch(/^[RS]$/);
    // Resuming is never refused (someone else may have stopped it).
    expect(done(await resumeProcess(target))).toMatch(/was not paused/);
    expect(done(await killProcess({ ...target, confirmed: true }, { graceMs: 2000 }))).toMatch(/exited/);
    await waitFor(() => procState(target.pid) === null || procState(target.pid) === 'Z', 3000, 'the bus to exit');
  });
});

describe.skipIf(!linux)("Idlewatch's own processes", () => {
  it('a child the engine started (through runFile) and the process it started in turn are refused', async () => {
    const before = new Set(ownChildPids());
    const marker = join(dir, 'grandchild.pid');
    const script = `sleep 30 & echo $! > ${marker}; wait`;
    const running = runFile('/bin/sh', ['-c', script], { timeoutMs: 30_000 });
    let child = 0;
    await waitFor(
      () => {
        child = ownChildPids().find((p) => !before.has(p)) ?? 0;
        return child > 0 && existsSync(marker);
      },
      5000,
      'the engine child and its own child',
    );
    await sleep(100);
    const { readFileSync } = await import('node:fs');
    const grandchild = Number(readFileSync(marker, 'utf8').trim());
    const own = refusal(await killProcess(targetOf(child)));
    expect(own.code).toBe('self');
    expect(own.reason).toBe(
      `process ${child} (sh) is a helper program Idlewatch started itself; acting on it would break Idlewatch, so nothing was done`,
    );
    const below = refusal(await pauseProcess(targetOf(grandchild)));
    expect(below.code).toBe('self');
    expect(below.reason).toContain(`started by a helper program Idlewatch runs (pid ${child})`);
    expect(procState(grandchild)).toMatch(/^[RS]$/);
    // Not in the registry any more once it has exited: then it is nobody's.
    process.kill(grandchild, 'SIGKILL');
    await running;
    expect(ownChildPids()).not.toContain(child);
  });

  it('the app: processes under its main process that run its program are refused, others under it are not', async () => {
    // root: stands for the Electron main process; it starts the "engine" (self), a "renderer" (same
    // program) and a program of another kind (a sleep a user started from the app, say).
    const root = track(
      spawn(
        process.execPath,
        [
          '-e',
          `const { spawn } = require('node:child_process');
const keep = { stdio: 'ignore' };
const a = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)'], keep);
const b = spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)'], keep);
const c = spawn('/bin/sleep', ['60'], keep);
process.stdout.write(JSON.stringify([a.pid, b.pid, c.pid]) + '\\n');
setTimeout(() => {}, 60000);
process.on('SIGTERM', () => { a.kill('SIGKILL'); b.kill('SIGKILL'); c.kill('SIGKILL'); process.exit(0); });`,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      ),
    );
    const [engine, renderer, other] = await new Promise<number[]>((resolve) =>
      root.stdout?.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[])),
    );
    await sleep(300);
    const appRoot = targetOf(root.pid);
    const opts = { selfPid: engine as number, appRoot };
    const r = refusal(await pauseProcess(targetOf(renderer), opts));
    expect(r.code).toBe('self');
    expect(r.reason).toContain(
      `one of Idlewatch's own processes (its window, GPU or utility process, under pid ${root.pid})`,
    );
    expect(procState(renderer as number)).toMatch(/^[RS]$/); // not stopped
    // A different program under the app is an ordinary process.
    expect(done(await pauseProcess(targetOf(other), opts))).toMatch(/is paused/);
    expect(done(await resumeProcess(targetOf(other), opts))).toMatch(/running again/);
    // An app root with another start time (a reused pid) protects nothing.
    const stale = { selfPid: engine as number, appRoot: { ...appRoot, startTimeMs: appRoot.startTimeMs - 60_000 } };
    expect(done(await pauseProcess(targetOf(renderer), stale))).toMatch(/is paused/);
    expect(done(await resumeProcess(targetOf(renderer), stale))).toMatch(/running again/);
    root.kill('SIGTERM');
  });
});
