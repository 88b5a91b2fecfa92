import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceHeader, TraceSample } from '../shared/trace.js';
import { readTrace } from '../main/engine/trace/trace-reader.js';
import { killAndWait, spawnBurner, waitFor } from './helpers/processes.js';
import { REPO_ROOT } from './captured.js';

// These run the built CLI as a user would (npm test builds first).
const CLI = join(REPO_ROOT, 'out', 'cli', 'idlewatch.js');
const linux = process.platform === 'linux';
const dir = mkdtempSync(join(tmpdir(), 'iw-cli-'));
// No nvidia-smi anywhere on this PATH, whatever the machine has.
const env = { ...process.env, PATH: '/usr/bin:/bin', DISPLAY: '' };

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does) first`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(file: string) {
  let header: TraceHeader | null = null;
  const samples: TraceSample[] = [];
  const r = await readTrace(file, { header: (h) => (header = h), sample: (s) => samples.push(s) });
  return { header: header as TraceHeader | null, samples, warnings: r.warnings };
}

describe.skipIf(!linux)('idlewatch record', () => {
  it('writes a valid trace that captures a busy process at its real CPU share', async () => {
    const burner = spawnBurner();
    try {
      const out = join(dir, 't.jsonl');
      const r = spawnSync(process.execPath, [CLI, 'record', '--duration', '4', '--interval', '500', '--out', out], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.stderr).toMatch(/wrote \d+ samples/);
      expect(r.status).toBe(0);
      const { header, samples, warnings } = await load(out);
      expect(warnings).toEqual([]);
      expect(header).toMatchObject({
        format: 'idlewatch-trace',
        version: 1,
        intervalMs: 500,
        host: { platform: 'linux' },
      });
      expect(samples.length).toBeGreaterThanOrEqual(7);
      expect(samples.length).toBeLessThanOrEqual(10);
      expect(samples[0]!.t).toBe(0);
      const first = samples[0]!.procs.find((p) => p.pid === burner.pid);
      expect(first).toMatchObject({ name: 'node', exe: process.execPath, ppid: process.pid });
      expect(first?.cmdline).toContain('idlewatch-test-burner');
      const later = samples.slice(2).map((s) => s.procs.find((p) => p.pid === burner.pid)?.cpu ?? 0);
      const avg = later.reduce((a, b) => a + b, 0) / later.length;
      expect(avg).toBeGreaterThan(80);
      expect(avg).toBeLessThanOrEqual(101);
      // Without an idle source here, the state is reported unknown, never guessed.
      expect(samples.every((s) => s.user.state === 'unknown' && s.user.idleSec === null)).toBe(true);
    } finally {
      await killAndWait(burner);
    }
  });

  it('ends cleanly on Ctrl-C with a complete gzip file', async () => {
    const out = join(dir, 'c.jsonl.gz');
    const child = spawn(process.execPath, [CLI, 'record', '--interval', '200', '--out', out], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await waitFor(() => stderr.includes('recording to'), 15_000, 'recording to start');
    await new Promise((r) => setTimeout(r, 1200));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    const { samples, warnings } = await load(out);
    expect(warnings).toEqual([]);
    expect(samples.length).toBeGreaterThanOrEqual(3);
  });

  it('explains a file it cannot write', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'record', '--duration', '1', '--out', join(dir, 'no', 'such', 'dir', 't.jsonl')],
      {
        env,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot write .*no\/such\/dir\/t\.jsonl: ENOENT/);
  });
});

describe('idlewatch usage errors', () => {
  it.each([
    [['record'], /record needs --out FILE/],
    [['record', '--out', 'x', '--interval', 'fast'], /--interval must be a number, got "fast"/],
    [['record', '--out', 'x', '--bogus'], /unknown option --bogus/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('%j exits 2 naming what was wrong', (args, message) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe.skipIf(!linux)('idlewatch probe', () => {
  it('explains every source that does not work here', () => {
    const r = spawnSync(process.execPath, [CLI, 'probe', '--json'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      sources: { id: string; kind: string; availability: { ok: boolean; reason?: string } }[];
    };
    const byId = new Map(report.sources.map((s) => [s.id, s]));
    expect(byId.get('procs.linux')?.availability.ok).toBe(true);
    expect(byId.get('gpu.nvidia')?.availability).toEqual({
      ok: false,
      reason: expect.stringMatching(/nvidia-smi not found on PATH/),
    });
    const idle = report.sources.filter((s) => s.kind === 'idle');
    expect(idle.length).toBeGreaterThanOrEqual(3);
    for (const s of report.sources) {
      if (!s.availability.ok) expect(s.availability.reason?.length ?? 0).toBeGreaterThan(5);
    }
    const x11 = idle.find((s) => s.id === 'idle.x11');
    expect(x11?.availability.reason).toMatch(/DISPLAY/);
    const text = spawnSync(process.execPath, [CLI, 'probe'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(text.stdout).toMatch(/nvidia-smi not found on PATH/);
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });
});
