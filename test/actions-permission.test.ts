import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionDenied, signalFailure } from '../main/engine/actions/signal-errors.js';
import type { ActionResult } from '../shared/actions.js';
import { killAndWait, sleep, spawnSleeper } from './helpers/processes.js';
import { procState, targetOf } from './helpers/proc-target.js';
import { REPO_ROOT } from './captured.js';

const NOBODY = 65534;

describe('errno mapping', () => {
  it('EPERM names the owner and what to do', () => {
    const err = Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    expect(signalFailure('kill', 1234, err, { name: 'xmrig', user: 'bob' })).toEqual({
      ok: false,
      action: 'kill',
      pid: 1234,
      code: 'permission',
      reason:
        'permission denied: process 1234 belongs to user bob; run Idlewatch as that user or with administrator rights',
    });
    expect(permissionDenied('pause', 7, null).reason).toBe(
      'permission denied: process 7 belongs to another user; run Idlewatch as that user or with administrator rights',
    );
  });

  it('ESRCH is an exited process; anything else is a failure that says what happened', () => {
    const gone = signalFailure('resume', 9, Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' }), null);
    expect(gone).toMatchObject({ code: 'gone', reason: 'process 9 has exited: nothing was done' });
    const odd = signalFailure('kill', 9, Object.assign(new Error('kill EINVAL'), { code: 'EINVAL' }), null);
    expect(odd).toMatchObject({ code: 'failed', reason: 'could not signal process 9: kill EINVAL' });
  });
});

/** Root can drop to another user with setpriv (util-linux); elsewhere only the mapping above is tested. */
function canDropPrivileges(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return (
    spawnSync('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', 'true']).status === 0
  );
}

describe.skipIf(!canDropPrivileges())('an unprivileged Idlewatch against a root-owned process', () => {
  const children: ChildProcess[] = [];
  let dir = '';
  let script = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iw-perm-'));
    script = join(dir, 'act-as-user.mjs');
    // The real action code, bundled to plain JS so an unprivileged node can run it.
    const { build } = await import('vite');
    const external = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
    await build({
      configFile: false,
      root: REPO_ROOT,
      logLevel: 'silent',
      build: {
        ssr: join(REPO_ROOT, 'test/helpers/act-as-user-entry.ts'),
        outDir: dir,
        emptyOutDir: false,
        target: 'node20',
        minify: false,
        rollupOptions: { external, output: { format: 'es', entryFileNames: 'act-as-user.mjs' } },
      },
      ssr: { noExternal: true },
    });
    chmodSync(dir, 0o755);
    chmodSync(script, 0o644);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function runAsNobody(action: 'kill' | 'pause', pid: number, startTimeMs: number): ActionResult {
    const out = execFileSync(
      'setpriv',
      [
        '--reuid',
        String(NOBODY),
        '--regid',
        String(NOBODY),
        '--clear-groups',
        process.execPath,
        script,
        action,
        String(pid),
        String(startTimeMs),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    return JSON.parse(out) as ActionResult;
  }

  it('maps EPERM to a permission refusal naming the owner, and the process keeps running', async () => {
    const sleeper = spawnSleeper();
    children.push(sleeper);
    await sleep(100);
    const target = targetOf(sleeper.pid);
    for (const action of ['kill', 'pause'] as const) {
      const result = runAsNobody(action, target.pid, target.startTimeMs);
      expect(result).toEqual({
        ok: false,
        action,
        pid: target.pid,
        code: 'permission',
        reason: `permission denied: process ${target.pid} belongs to user root; run Idlewatch as that user or with administrator rights`,
      });
    }
    expect(procState(target.pid)).toBe('S');
    expect(sleeper.exitCode).toBeNull();
  });
});
