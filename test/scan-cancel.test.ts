/**
 * Cancel ends a running scan within 2 s whatever the scan is doing, and what it had found is kept:
 * the built CLI with its scan process frozen (SIGSTOP: it cannot answer anything), the app's
 * runner with a scan that never settles, a real scan in a worker thread, and a step that runs
 * past its time limit.
 */
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyScanReport } from './helpers/scan-report.js';
import type { ScanState } from '../shared/ipc.js';
import { SCAN_STEPS, type ScanReport, type ScanStepId } from '../shared/scan.js';
import { partialReportOf, runDeepScan } from '../main/engine/scan/deep-scan.js';
import { isAbortError } from '../main/engine/scan/scan-context.js';
import { nodeScanFs, type ScanFs } from '../main/engine/scan/scan-fs.js';
import { runDeepScanIsolated } from '../main/engine/scan/scan-isolated.js';
import { ScanRunner } from '../main/engine/service/scan-runner.js';
import { REPO_ROOT } from './captured.js';
import { CLI } from './helpers/built-cli.js';

/**
 * Every step in the scan's order: those named with their status, the others before `running`
 * done (any status but skipped), `running` itself as given, the ones after it skipped.
 */
function stoppedAt(running: ScanStepId, named: Partial<Record<ScanStepId, unknown>>): [ScanStepId, unknown][] {
  const at = SCAN_STEPS.findIndex((s) => s.id === running);
  return SCAN_STEPS.map((s, i) => [
    s.id,
    named[s.id] ?? (i < at ? expect.stringMatching(/^(ok|partial|unavailable)$/) : 'skipped'),
  ]);
}

const linux = process.platform === 'linux';
const ENGINE_WORKER = join(REPO_ROOT, 'out', 'engine', 'scan-worker.js');
/** What the issue asks: Cancel has ended the scan within this. */
const CANCEL_LIMIT_MS = 2000;

let base = '';
let crowded = '';

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'iw-cancel-'));
  // A root whose persistence step takes a while: 10,000 cron jobs (hard links to two files).
  crowded = join(base, 'crowded');
  mkdirSync(join(crowded, 'etc/cron.d'), { recursive: true });
  writeFileSync(join(crowded, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(crowded, 'etc/crontab'), '*/5 * * * * root /tmp/.x/kworker -o pool.supportxmr.com:3333\n');
  const seeds = [0, 1].map((i) => join(base, `seed${i}`));
  for (const s of seeds) writeFileSync(s, '0 4 * * * root /usr/bin/true\n');
  for (let i = 0; i < 10_000; i++) linkSync(seeds[i % 2] as string, join(crowded, `etc/cron.d/job${i}`));
}, 60_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe.skipIf(!linux)('cancelling a scan that does not answer', () => {
  it('the CLI ends on SIGTERM within 2 s though its scan process is frozen, and exits 130', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs first`);
    const cli = spawn(process.execPath, [CLI, 'scan', '--root', crowded], {
      env: { PATH: '/usr/bin:/bin', HOME: base, XDG_DATA_HOME: base },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    cli.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    const pid = cli.pid as number;
    // Wait for the scan process to be running a step, then freeze it.
    const t0 = performance.now();
    while (!/\[1\/\d+\]/.test(stderr) && performance.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    const [scanPid] = childrenOf(pid);
    expect(scanPid).toBeGreaterThan(0);
    process.kill(scanPid as number, 'SIGSTOP');
    const asked = performance.now();
    cli.kill('SIGTERM');
    const code = await exited;
    const took = performance.now() - asked;
    expect(code).toBe(130);
    expect(stderr).toContain('scan cancelled');
    expect(took).toBeLessThan(CANCEL_LIMIT_MS);
    // The frozen scan process was ended, not left behind.
    await new Promise((r) => setTimeout(r, 100));
    const state = existsSync(`/proc/${scanPid}/stat`)
      ? (/^\d+ \(.*\) (\S)/.exec(readFileSync(`/proc/${scanPid}/stat`, 'latin1'))?.[1] ?? '?')
      : 'gone';
    expect(['gone', 'Z']).toContain(state);
  }, 60_000);

  it("the app's runner lets go of a scan that never settles within 2 s, keeping what it reported", async () => {
    const states: ScanState[] = [];
    const runner = new ScanRunner({
      options: () => ({}),
      onChange: (s) => states.push(s),
      // Reports one step, then hangs forever and ignores its signal.
      scan: (opts) => {
        opts.onProgress?.({
          step: 'processes',
          label: 'Processes and executables',
          index: 1,
          total: 8,
          phase: 'start',
        });
        opts.onPartial?.(
          emptyScanReport({
            steps: [
              {
                id: 'processes',
                label: 'Processes and executables',
                status: 'ok',
                durationMs: 5,
                detail: '3 processes',
              },
            ],
          }),
        );
        opts.onProgress?.({ step: 'signatures', label: 'Miner signatures', index: 2, total: 8, phase: 'start' });
        return new Promise<ScanReport>(() => {});
      },
    });
    expect(runner.start()).toBe(true);
    expect(runner.start()).toBe(false);
    const asked = performance.now();
    expect(runner.cancel()).toBe(true);
    await runner.idle();
    expect(performance.now() - asked).toBeLessThan(CANCEL_LIMIT_MS);
    const st = runner.state();
    expect(st).toMatchObject({ running: false, error: 'cancelled' });
    expect(st.report?.steps.map((s) => [s.id, s.status])).toEqual(
      stoppedAt('signatures', { processes: 'ok', signatures: 'partial' }),
    );
    expect(st.report?.steps[1]?.detail).toBe('the scan was cancelled while this step ran');
    // A new scan can start at once.
    expect(runner.start()).toBe(true);
    runner.cancel();
    await runner.idle();
  });

  it('a real scan in a worker thread is ended within 2 s, and the steps it finished are kept', async () => {
    if (!existsSync(ENGINE_WORKER)) throw new Error(`${ENGINE_WORKER} is missing: run node scripts/build.mjs first`);
    const abort = new AbortController();
    let asked = 0;
    const scan = runDeepScanIsolated(
      {
        root: crowded,
        dataDir: base,
        hiddenProbe: false,
        signal: abort.signal,
        onProgress: (p) => {
          if (p.step === 'persistence' && p.phase === 'start' && asked === 0) {
            asked = performance.now();
            abort.abort();
          }
        },
      },
      { isolation: 'worker', workerFile: ENGINE_WORKER },
    );
    const error = await scan.then(
      () => null,
      (e: unknown) => e,
    );
    expect(performance.now() - asked).toBeLessThan(CANCEL_LIMIT_MS);
    expect(isAbortError(error)).toBe(true);
    const partial = partialReportOf(error);
    expect(partial?.steps.map((s) => [s.id, s.status])).toEqual(
      stoppedAt('persistence', {
        processes: expect.stringMatching(/^(ok|partial)$/),
        signatures: 'ok',
        network: 'ok',
        persistence: 'partial',
      }),
    );
    expect(partial?.processes.length).toBeGreaterThan(0);
  }, 60_000);

  it('runs a whole scan in a worker thread to the same report as in-process', async () => {
    const opts = { root: crowded, dataDir: base, hiddenProbe: false as const, steps: ['persistence'] as const };
    const inWorker = await runDeepScanIsolated(opts, { isolation: 'worker', workerFile: ENGINE_WORKER });
    const here = await runDeepScan(opts);
    expect(inWorker.findings.map((f) => f.title)).toEqual(here.findings.map((f) => f.title));
    expect(inWorker.persistence).toEqual(here.persistence);
    expect(inWorker.steps.map((s) => [s.id, s.status, s.detail])).toEqual(
      here.steps.map((s) => [s.id, s.status, s.detail]),
    );
  }, 60_000);

  it('stops a step at its time limit, keeps what it read, and goes on with the next steps', async () => {
    // A slow file system: every cron job takes 5 ms to read, 10,000 of them far more than 0.3 s.
    const slow: ScanFs = {
      ...nodeScanFs,
      readFile: async (path, max) => {
        if (String(path).includes('/cron.d/')) await new Promise((r) => setTimeout(r, 5));
        return nodeScanFs.readFile(path, max);
      },
    };
    const report = await runDeepScan({
      root: crowded,
      dataDir: base,
      hiddenProbe: false,
      fs: slow,
      steps: ['persistence', 'browsers'],
      stepBudgetMs: { persistence: 300 },
    });
    const step = report.steps.find((s) => s.id === 'persistence');
    expect(step?.status).toBe('partial');
    expect(step?.detail).toMatch(/stopped at its time limit/);
    expect(step?.durationMs).toBeLessThan(300 + 2000);
    expect(report.problems.map((p) => p.message)).toContain(
      'Persistence (autostart, scheduled jobs, preload): stopped at its time limit of 0.3 s',
    );
    // The crontab read before the limit is still there, and a later step still ran.
    expect(report.findings.some((f) => f.persistence?.file === join(crowded, 'etc/crontab'))).toBe(true);
    const jobs = report.persistence.filter((p) => p.file?.includes('/cron.d/')).length;
    expect(jobs).toBeGreaterThan(0);
    expect(jobs).toBeLessThan(2_000);
    expect(report.steps.find((s) => s.id === 'browsers')?.status).toBe('ok');
  });
});
