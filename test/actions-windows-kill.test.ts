/**
 * The Windows kill path (actions/windows-kill.ts) against real processes: a fake taskkill
 * (test/fakes/fake-taskkill.cjs) that really signals the pids it is given, and an inspector that
 * reads /proc but answers as Windows (platform win32), so the identity re-checks, the child checks
 * and the escalation run exactly as on Windows. What is scripted: which taskkill step hangs or is
 * refused, and, for the pid-reuse cases, a start time that changes after a given step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killProcess } from '../main/engine/actions/process-actions.js';
import { LinuxInspector, type ProcessInspector } from '../main/engine/actions/process-inspector.js';
import { defaultPowershellPath } from '../main/engine/platform/win32/index.js';
import { systemToolPath, systemToolRunner } from '../main/engine/platform/win32/system-tools.js';
import type { RunOptions, RunResult } from '../main/engine/util/exec.js';
import type { ActionResult, ActionTarget } from '../shared/actions.js';
import { REPO_ROOT } from './captured.js';
import { killAndWait, sleep, waitFor } from './helpers/processes.js';
import { procState, targetOf } from './helpers/proc-target.js';

const linux = process.platform === 'linux';
let dir = '';
let taskkill = '';
let log = '';
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iw-winkill-'));
  taskkill = join(dir, 'taskkill.exe');
  copyFileSync(join(REPO_ROOT, 'test', 'fakes', 'fake-taskkill.cjs'), taskkill);
  chmodSync(taskkill, 0o755);
  log = join(dir, 'taskkill.log');
  process.env.FAKE_TASKKILL_LOG = log;
});

afterEach(async () => {
  delete process.env.FAKE_TASKKILL_MODE;
  writeFileSync(log, '');
  await Promise.all(children.splice(0).map(killAndWait));
});

afterAll(() => {
  delete process.env.FAKE_TASKKILL_LOG;
  rmSync(dir, { recursive: true, force: true });
});

/** Each taskkill run's arguments, in order. */
function calls(): string[][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as string[]);
}

/**
 * /proc, answering as Windows. With `shift`, the target's start time changes from its `fromRead`-th
 * full read on (pid reuse): read 1 is the check before acting, 2 the one after the polite request,
 * 3 the one after its children were read, 4 the one after taskkill /F gave up.
 */
function windowsLike(shift?: { pid: number; fromRead: number }): ProcessInspector {
  const real = new LinuxInspector();
  let reads = 0;
  return {
    platform: 'win32',
    startToleranceMs: real.startToleranceMs,
    inspect: async (pid) => {
      const p = await real.inspect(pid);
      if (p && shift && pid === shift.pid && ++reads >= shift.fromRead)
        return { ...p, name: 'notepad.exe', startTimeMs: p.startTimeMs + 60_000 };
      return p;
    },
    poll: (pid, start) => real.poll(pid, start),
    lineage: (pid) => real.lineage(pid),
    parentTable: () => real.parentTable(),
  };
}

/** A console program (no window to close) with one child of its own; resolves once both are settled. */
async function programWithChild(): Promise<{ parent: ChildProcess; child: number; target: ActionTarget }> {
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)'], { stdio: 'ignore' });
process.stdout.write(String(c.pid) + '\\n'); setTimeout(() => {}, 60000);`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(parent);
  const child = await new Promise<number>((resolve) =>
    parent.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  await waitFor(() => procState(child) === 'S', 10_000, 'the child to settle');
  return { parent, child, target: targetOf(parent.pid) };
}

const alive = (pid: number): boolean => {
  const s = procState(pid);
  return s !== null && s !== 'Z';
};

function detail(r: ActionResult): string {
  if (!r.ok) throw new Error(`expected success, got ${r.code}: ${r.reason}`);
  return r.detail;
}

const FAST = { graceMs: 300, killWaitMs: 3000, pollMs: 50 };

describe.skipIf(!linux)('killing on Windows (fake taskkill, real processes)', () => {
  it('polite request ignored: the target and its child are ended by their own /PID, no /T', async () => {
    const { child, target } = await programWithChild();
    const r = await killProcess(target, { ...FAST, inspector: windowsLike(), windowsTools: { taskkill } });
    expect(detail(r)).toBe(
      `process ${target.pid} (node) did not close within 0.3 s and was ended with taskkill /F, with the processes it started: node (${child})`,
    );
    expect(calls()).toEqual([
      ['/PID', String(target.pid)],
      ['/F', '/PID', String(target.pid), '/PID', String(child)],
    ]);
    expect(calls().flat()).not.toContain('/T');
    await waitFor(() => !alive(child), 3000, 'the child to be gone');
  });

  it('a child on the protection list is left alone and named', async () => {
    const { child, target } = await programWithChild();
    const r = await killProcess(target, {
      ...FAST,
      inspector: windowsLike(),
      windowsTools: { taskkill },
      ownChildren: [child],
    });
    expect(detail(r)).toBe(
      `process ${target.pid} (node) did not close within 0.3 s and was ended with taskkill /F; left alone: node (${child}), protected`,
    );
    expect(calls().at(-1)).toEqual(['/F', '/PID', String(target.pid)]);
    await sleep(300);
    expect(alive(child)).toBe(true);
  });

  it('the polite taskkill times out and the pid changes hands meanwhile: nothing is forced', async () => {
    process.env.FAKE_TASKKILL_MODE = 'polite-hang';
    const { child, target } = await programWithChild();
    const r = await killProcess(target, {
      ...FAST,
      inspector: windowsLike({ pid: target.pid, fromRead: 2 }),
      windowsTools: { taskkill, politeTimeoutMs: 1500 },
    });
    expect(detail(r)).toBe(
      `process ${target.pid} (node) exited; pid ${target.pid} now belongs to another process (notepad.exe), which was left alone`,
    );
    // Nothing was forced (the hung polite taskkill may not even have started to log, on a loaded machine).
    expect(calls().flat()).not.toContain('/F');
    await sleep(300);
    expect(alive(target.pid)).toBe(true);
    expect(alive(child)).toBe(true);
  });

  it('the polite taskkill times out, the process is still the same: forced, and the timeout is said', async () => {
    process.env.FAKE_TASKKILL_MODE = 'polite-hang';
    const { target } = await programWithChild();
    const r = await killProcess(target, {
      ...FAST,
      inspector: windowsLike(),
      windowsTools: { taskkill, politeTimeoutMs: 1500 },
    });
    expect(detail(r)).toMatch(
      new RegExp(
        `^process ${target.pid} \\(node\\) did not close within 0\\.3 s \\(taskkill did not answer within 1\\.5 s\\) and was ended with taskkill /F`,
      ),
    );
  });

  it('taskkill /F does not answer: identity read again, then TerminateProcess', async () => {
    process.env.FAKE_TASKKILL_MODE = 'force-hang';
    const { target } = await programWithChild();
    const r = await killProcess(target, {
      ...FAST,
      inspector: windowsLike(),
      windowsTools: { taskkill, forceTimeoutMs: 1500 },
    });
    expect(detail(r)).toMatch(/was ended with TerminateProcess \(taskkill \/F did not answer within 1\.5 s\)/);
    await waitFor(() => !alive(target.pid), 3000, 'the target to be gone');
  });

  it('taskkill /F does not answer and the pid changed hands meanwhile: no TerminateProcess', async () => {
    process.env.FAKE_TASKKILL_MODE = 'force-hang';
    const { target } = await programWithChild();
    const r = await killProcess(target, {
      ...FAST,
      inspector: windowsLike({ pid: target.pid, fromRead: 4 }),
      windowsTools: { taskkill, forceTimeoutMs: 1500 },
    });
    expect(detail(r)).toMatch(/now belongs to another process \(notepad\.exe\), which was left alone$/);
    await sleep(300);
    expect(alive(target.pid)).toBe(true);
  });

  it('access denied: a permission refusal naming the owner', async () => {
    process.env.FAKE_TASKKILL_MODE = 'denied';
    const { target } = await programWithChild();
    const r = await killProcess(target, { ...FAST, inspector: windowsLike(), windowsTools: { taskkill } });
    expect(r).toMatchObject({ ok: false, code: 'permission' });
    expect(alive(target.pid)).toBe(true);
  });
});

describe("Windows' own tools by their System32 path", () => {
  const env = { SystemRoot: 'D:\\WinNT' };

  it('taskkill, reg, schtasks and powershell.exe, the last one where the sampler finds it', () => {
    expect(systemToolPath('taskkill', env)).toBe('D:\\WinNT\\System32\\taskkill.exe');
    expect(systemToolPath('reg', env)).toBe('D:\\WinNT\\System32\\reg.exe');
    expect(systemToolPath('schtasks', env)).toBe('D:\\WinNT\\System32\\schtasks.exe');
    expect(systemToolPath('powershell.exe', env)).toBe(defaultPowershellPath(env));
  });

  it("the scan's runner maps the names to full paths and refuses any other bare name", async () => {
    const seen: string[] = [];
    const run = async (file: string, _args: readonly string[], _o: RunOptions): Promise<RunResult> => {
      seen.push(file);
      return { ok: true, stdout: '', stderr: '', code: 0, timedOut: false };
    };
    const runner = systemToolRunner(run, env);
    const o = { timeoutMs: 1000 };
    await runner('reg', ['query', 'HKCU'], o);
    await runner('schtasks', ['/query'], o);
    await runner('powershell.exe', ['-Command', 'x'], o);
    await runner('C:\\Program Files\\Tool\\tool.exe', [], o);
    const refused = await runner('cmd', ['/c', 'dir'], o);
    expect(seen).toEqual([
      'D:\\WinNT\\System32\\reg.exe',
      'D:\\WinNT\\System32\\schtasks.exe',
      'D:\\WinNT\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      'C:\\Program Files\\Tool\\tool.exe',
    ]);
    expect(refused).toMatchObject({ ok: false, error: 'cmd is not run by name on Windows (only by its full path)' });
  });
});
