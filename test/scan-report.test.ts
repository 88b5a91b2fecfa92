import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScanFinding, ScanReport } from '../shared/scan.js';
import { UsageError } from '../main/cli/args.js';
import { formatScanTable, runScanCommand } from '../main/cli/scan.js';
import { runDeepScan } from '../main/engine/scan/deep-scan.js';
import { escapeHtml, renderScanHtml } from '../main/engine/scan/html-report.js';
import { localTime } from '../main/engine/scan/report-text.js';
import { isAbortError } from '../main/engine/scan/scan-context.js';

const dir = mkdtempSync(join(tmpdir(), 'iw-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stream that keeps what is written to it. */
function sink(): { stream: NodeJS.WritableStream; text: () => string; clear: () => void } {
  const chunks: string[] = [];
  const stream = {
    write: (s: string) => {
      chunks.push(s);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { stream, text: () => chunks.join(''), clear: () => chunks.splice(0) };
}

const HOSTILE = '<script>alert(1)</script>';
const ATTR = '"><img src=x onerror=alert(2)>';

function hostileReport(): ScanReport {
  const finding: ScanFinding = {
    id: 'miner-signature:42@1',
    rule: 'miner-signature',
    severity: 'high',
    title: `Miner signature: ${HOSTILE}`,
    evidence: [`command line has ${ATTR}`],
    process: {
      pid: 42,
      ppid: 1,
      name: `x${ATTR}`,
      exe: `/tmp/${HOSTILE}`,
      cmdline: HOSTILE,
      user: '<b>root</b>',
      startTimeMs: 1_700_000_000_000,
      sha256: null,
      chain: [{ pid: 1, name: HOSTILE, exe: null }],
    },
    actions: [
      { kind: 'kill', pid: 42, startTimeMs: 1_700_000_000_000, exe: `/tmp/${HOSTILE}` },
      { kind: 'allowlist', exe: `/tmp/${HOSTILE}`, sha256: null },
    ],
    allowlisted: false,
  };
  const entry: ScanFinding = {
    id: 'persistence:/etc/crontab:4',
    rule: 'persistence',
    severity: 'medium',
    title: 'Scheduled job (cron): downloads a script and pipes it into a shell',
    evidence: [`/etc/crontab:4: * * * * * root ${HOSTILE}`],
    persistence: {
      kind: 'crontab',
      file: '/etc/crontab',
      line: 4,
      text: `* * * * * root ${HOSTILE}`,
      command: HOSTILE,
      location: null,
      runAs: 'root',
      fileState: null,
    },
    actions: [{ kind: 'manual', text: HOSTILE }],
    allowlisted: true,
  };
  return {
    format: 'idlewatch-scan',
    version: 1,
    startedAt: '2030-01-01T00:00:00.000Z',
    durationMs: 1234,
    platform: 'linux',
    root: `/mnt/${HOSTILE}`,
    findings: [finding, entry],
    processes: [],
    connections: [
      {
        pid: 42,
        proto: 'tcp',
        local: '10.0.0.2:5000',
        remote: '10.0.0.1:3333',
        remotePort: 3333,
        state: 'ESTABLISHED',
      },
    ],
    persistence: [
      {
        kind: 'crontab',
        file: '/etc/crontab',
        line: 4,
        text: HOSTILE,
        command: HOSTILE,
        location: null,
        runAs: 'root',
      },
    ],
    gpu: {
      devices: [
        {
          source: 'drm',
          id: 'drm:x',
          name: HOSTILE,
          vendor: 'amd',
          driver: 'amdgpu',
          memoryMiB: 8192,
          memoryUsedMiB: null,
          util: null,
        },
      ],
      processes: [{ pid: 42, name: HOSTILE, source: 'device-file', memoryMiB: null }],
      tools: [{ tool: 'nvidia-smi', ok: false, detail: 'nvidia-smi not found on PATH' }],
      driverVersion: null,
    },
    browsers: [{ pid: 7, name: HOSTILE, browser: 'chrome', role: 'renderer', subType: null, cpuSec: 1 }],
    hidden: { pids: [], probed: 100, maxPid: 32768, complete: false },
    domainList: { source: HOSTILE, count: 3 },
    steps: [{ id: 'processes', label: 'Processes and executables', status: 'ok', durationMs: 5, detail: HOSTILE }],
    problems: [{ step: 'persistence', path: null, message: `cannot read ${HOSTILE}` }],
    summary: { high: 1, medium: 0, low: 0, allowlisted: 1 },
  };
}

describe('HTML report', () => {
  it('escapes every string from the machine: no markup from a hostile command line survives', () => {
    const html = renderScanHtml(hostileReport());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>root');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    // The only elements are the report's own.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => (m[1] as string).toLowerCase()));
    for (const t of tags)
      expect([
        'html',
        'head',
        'meta',
        'title',
        'style',
        'body',
        'h1',
        'h2',
        'p',
        'span',
        'b',
        'table',
        'thead',
        'tbody',
        'tr',
        'th',
        'td',
        'div',
        'ul',
        'li',
      ]).toContain(t);
    // Self-contained, and no script may run even if something slipped through.
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//i);
  });

  it('escapes quotes, ampersands and control characters', () => {
    expect(escapeHtml(`a&b<c>"d"'e'\u0007`)).toBe('a&amp;b&lt;c&gt;&quot;d&quot;&#39;e&#39;\ufffd');
  });

  it('prints the table with control characters replaced', () => {
    const r = hostileReport();
    const first = r.findings[0] as ScanFinding;
    first.title = 'Miner signature: \u001b[2Jcleared';
    const table = formatScanTable(r);
    expect(table).not.toContain('\u001b');
    expect(table).toContain('?[2Jcleared');
    expect(table).toMatch(/MEDIUM\*\s+persistence\s+\/etc\/crontab:4/);
    // The start in local time with the zone, never the report's raw UTC string.
    expect(table.split('\n')[0]?.startsWith(`Idlewatch deep scan, ${localTime(Date.parse(r.startedAt))} (`)).toBe(true);
    expect(table).not.toContain(r.startedAt);
  });
});

describe.skipIf(process.platform !== 'linux')('cancelling a scan', () => {
  it('rejects with an AbortError mid-scan', async () => {
    const abort = new AbortController();
    const seen: string[] = [];
    const scan = runDeepScan({
      dataDir: dir,
      signal: abort.signal,
      onProgress: (p) => {
        seen.push(`${p.step}:${p.phase}`);
        if (p.step === 'network' && p.phase === 'start') abort.abort(new Error('some other reason'));
      },
    });
    const error = await scan.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAbortError(error)).toBe(true);
    expect((error as Error).name).toBe('AbortError');
    // Nothing ran after the step in which it was cancelled.
    expect(seen.at(-1)).toBe('network:start');
  });

  it('rejects at once when already cancelled', async () => {
    await expect(runDeepScan({ dataDir: dir, signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('writes no report from the CLI when cancelled, and exits 130', async () => {
    const html = join(dir, 'report.html');
    const abort = new AbortController();
    let err = '';
    const code = await runScanCommand(['--html', html], {
      stdout: { write: () => true } as unknown as NodeJS.WritableStream,
      stderr: {
        write: (s: string) => {
          err += s;
          if (/^\[3\/\d+\]/.test(s)) abort.abort();
          return true;
        },
      } as unknown as NodeJS.WritableStream,
      signal: abort.signal,
      dataDir: dir,
    });
    expect(code).toBe(130);
    expect(err).toContain('scan cancelled; no report written');
    expect(existsSync(html)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('report'))).toEqual([]);
  });
});

describe.skipIf(process.platform !== 'linux')('idlewatch scan --html', () => {
  it('writes a self-contained report of a real scan', async () => {
    const html = join(dir, 'scan.html');
    const out = sink();
    const io = {
      stdout: out.stream,
      stderr: { write: () => true } as unknown as NodeJS.WritableStream,
      dataDir: dir,
      scan: (o: Parameters<typeof runDeepScan>[0]) => runDeepScan({ ...o, hiddenProbe: false }),
    };
    expect(await runScanCommand(['--html', html], io)).toBe(0);
    const text = readFileSync(html, 'utf8');
    expect(text.startsWith('<!doctype html>')).toBe(true);
    expect(text).toContain('Idlewatch deep scan');
    expect(out.text()).toContain('Steps');
  });

  it('rejects usage errors with UsageError (exit 2)', async () => {
    const io = {
      stdout: { write: () => true } as unknown as NodeJS.WritableStream,
      stderr: { write: () => true } as unknown as NodeJS.WritableStream,
      dataDir: dir,
    };
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    await expect(runScanCommand(['--bogus'], io)).rejects.toBeInstanceOf(UsageError);
    await expect(runScanCommand(['--root', file], io)).rejects.toThrow(/is not a folder/);
    await expect(runScanCommand(['--domains', join(dir, 'missing.txt')], io)).rejects.toThrow(/not a readable file/);
    await expect(runScanCommand(['extra'], io)).rejects.toThrow(/takes no arguments/);
    await expect(runScanCommand(['--json=yes'], io)).rejects.toThrow(/takes no value/);
  });
});
