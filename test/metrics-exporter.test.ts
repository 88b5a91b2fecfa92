// main/engine/metrics/: which processes get series (the cardinality bound), how label values from
// hostile process names are bounded and escaped, and the exporter on a real EngineService with a
// real process whose executable name tries to inject a series into the exposition text.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';
import { labelText, MAX_LABEL_CHARS, shortHash } from '../main/engine/metrics/labels.js';
import { parseListenAddress } from '../main/engine/metrics/listen-address.js';
import {
  DEFAULT_TOP_PROCESSES,
  MAX_INCIDENT_PROCESSES,
  selectProcesses,
  toSeries,
} from '../main/engine/metrics/process-series.js';
import { startMetricsServer } from '../main/engine/metrics/server.js';
import { EngineService } from '../main/engine/service/engine-service.js';
import type { Severity } from '../shared/detection.js';
import type { EngineProc } from '../shared/engine-types.js';
import { killAndWait, waitFor } from './helpers/processes.js';

function proc(pid: number, name: string, cpu: number, exe: string | null = `/usr/bin/${name}`): EngineProc {
  return {
    pid,
    startTimeMs: 1000 + pid,
    ppid: 1,
    name,
    exe,
    cmdline: `${name} --secret-token=abc`,
    user: 'ana',
    cpu,
    gpu: null,
    gpuMemMiB: null,
    gpuId: null,
    rssKiB: null,
  };
}

const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status === 0;

describe('process series', () => {
  it('at most the top N busy processes plus MAX_INCIDENT_PROCESSES with open incidents, whatever runs', () => {
    const procs = Array.from({ length: 5000 }, (_, i) => proc(i + 2, `p${i}`, (i % 97) + 1));
    const open = new Map<string, Severity>();
    // 300 quiet processes with incidents (a miner paused at 0% still counts).
    for (let i = 0; i < 300; i++)
      open.set(`${procs[i * 10]!.pid}@${procs[i * 10]!.startTimeMs}`, i % 2 ? 'high' : 'low');
    const chosen = selectProcesses(procs, open);
    expect(chosen.length).toBe(DEFAULT_TOP_PROCESSES + MAX_INCIDENT_PROCESSES);
    const series = toSeries(chosen, open, () => null);
    expect(series.length).toBeLessThanOrEqual(DEFAULT_TOP_PROCESSES + MAX_INCIDENT_PROCESSES);
    // The worst incidents are kept first.
    expect(series.filter((s) => s.incident === 'high').length).toBeGreaterThanOrEqual(MAX_INCIDENT_PROCESSES);
    // --metrics-top N: N busiest, the incident processes still added.
    expect(selectProcesses(procs, open, 1).length).toBe(1 + MAX_INCIDENT_PROCESSES);
    // Idle processes without incidents never get a series.
    expect(selectProcesses([proc(2, 'idle', 0)], new Map())).toEqual([]);
  });

  it('processes of one program add up into one series; the command line is never a label', () => {
    const procs = [proc(2, 'chrome', 50), proc(3, 'chrome', 30), proc(4, 'chrome', 5, '/opt/other/chrome')];
    const hashes: Record<string, string> = { '/usr/bin/chrome': 'a'.repeat(64), '/opt/other/chrome': 'b'.repeat(64) };
    const series = toSeries(procs, new Map([['3@1003', 'medium' as Severity]]), (exe) => (exe ? hashes[exe]! : null));
    expect(series).toEqual([
      { name: 'chrome', exeHash: 'aaaaaaaaaaaa', cpu: 0.8, gpu: null, incident: 'medium' },
      { name: 'chrome', exeHash: 'bbbbbbbbbbbb', cpu: 0.05, gpu: null, incident: null },
    ]);
    expect(JSON.stringify(series)).not.toContain('secret-token');
  });

  it('label values: control characters and line separators replaced, long names cut, hashes shortened', () => {
    expect(labelText('a\nb\r\u0000c\u2028d\u009b')).toBe('a?b??c?d?');
    const long = labelText('x'.repeat(10_000));
    expect(long.length).toBe(MAX_LABEL_CHARS);
    expect(long.endsWith('…')).toBe(true);
    // A cut never leaves half a surrogate pair.
    const emoji = labelText('😀'.repeat(100));
    expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(emoji)).toBe(false);
    expect(shortHash('f'.repeat(64))).toBe('ffffffffffff');
    expect(shortHash('not a hash')).toBe('');
    expect(shortHash(null)).toBe('');
  });

  it('listen addresses: loopback unless told, IPv6 in brackets, ports 0 to 65535', () => {
    expect(parseListenAddress('9464')).toEqual({ ok: true, value: { host: '127.0.0.1', port: 9464 } });
    expect(parseListenAddress('0.0.0.0:9464')).toEqual({ ok: true, value: { host: '0.0.0.0', port: 9464 } });
    expect(parseListenAddress('[::1]:9464')).toEqual({ ok: true, value: { host: '::1', port: 9464 } });
    expect(parseListenAddress('127.0.0.1:70000').ok).toBe(false);
    expect(parseListenAddress('host.example:9464').ok).toBe(false);
  });
});

describe.skipIf(process.platform !== 'linux')('the exporter on a real engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-metrics-'));
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a process named to inject a series stays one escaped label value; the scrape passes promtool', {
    timeout: 90_000,
  }, async () => {
    // A busy program whose file name carries a newline, quotes, braces and a whole fake series.
    const evil = 'x"}\nidlewatch_incidents_open{severity="high"} 1\n#\\';
    const folder = join(dir, 'bin');
    mkdirSync(folder, { recursive: true });
    const exe = join(folder, evil);
    copyFileSync('/bin/sh', exe);
    const child = spawn(exe, ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    children.push(child);
    const service = await EngineService.open({
      dataDir: join(dir, 'data'),
      idleSources: [new ScriptedIdleSource(() => ({ idleSec: 0 }))],
      gpus: [],
      intervalMs: 500,
    });
    await service.start();
    const server = await startMetricsServer(service, { host: '127.0.0.1', port: 0 });
    try {
      const url = `http://${server.address}/metrics`;
      await waitFor(
        async () => (await (await fetch(url)).text()).includes('idlewatch_process_cpu_ratio{name="x\\"}'),
        30_000,
        'the hostile process to be among the busiest',
      );
      const text = await (await fetch(url)).text();
      // Exactly the three real severity lines: nothing injected at the start of a line.
      expect(text.split('\n').filter((l) => l.startsWith('idlewatch_incidents_open{')).length).toBe(3);
      expect(text).not.toContain('idlewatch_incidents_open{severity="high"} 1\n#');
      // The kernel keeps 15 characters of the name: the quote, brace and newline are among them.
      const line = text.split('\n').find((l) => l.startsWith('idlewatch_process_cpu_ratio{name="x'))!;
      expect(line).toMatch(
        /^idlewatch_process_cpu_ratio\{name="x\\"\}\?idlewatch_i",exe_hash="[0-9a-f]{0,12}"\} [0-9.e-]+$/,
      );
      // Everything else a scrape must be: other paths 404, only GET and HEAD.
      expect((await fetch(`http://${server.address}/`)).status).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
      if (hasPromtool) {
        const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
      }
    } finally {
      await server.close();
      await service.stop();
    }
  });
});
