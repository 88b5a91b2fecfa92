// The daemon's metrics against the real thing: promtool checks a scrape of the live endpoint and
// unit-tests the shipped alert rules, then a real Prometheus scrapes a real daemon while an
// idle-time miner (a CPU burner in a hidden cache folder, started after the Xvfb user went idle)
// runs, and its HTTP API must show the incident counter, the burner's per-process series and the
// IdlewatchHijackOpen alert firing. The dashboard's queries run through the same Prometheus.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Xvfb } from './fakes/idle-xvfb.js';
import { killAndWait, waitFor } from './helpers/processes.js';
import { CLI, requireBuiltCli } from './helpers/built-cli.js';

const root = resolve(__dirname, '..');
const ALERTS = join(root, 'deploy', 'prometheus', 'alerts.yml');
const DASHBOARD = join(root, 'deploy', 'grafana', 'idlewatch.json');

function has(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}
const haveProm = has('prometheus') && has('promtool');
const haveX = has('Xvfb');
// CI installs prometheus (.ci/run): there a missing binary is a failure, not a skip.
const inCi = Boolean(process.env.CI);
const skipReason =
  process.platform !== 'linux'
    ? 'Linux only (Xvfb and /proc)'
    : !haveProm && !inCi
      ? 'prometheus/promtool not installed (apt-get install prometheus); CI installs them'
      : !haveX && !inCi
        ? 'Xvfb not installed'
        : null;
if (skipReason) console.warn(`metrics-prometheus: skipped: ${skipReason}`);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function promQuery(
  base: string,
  expr: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: unknown } };
  if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
  return body.data.result as { metric: Record<string, string>; value: [number, string] }[];
}

describe.skipIf(skipReason !== null)('metrics against a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-prom-'));
  const children: ChildProcess[] = [];
  let xvfb: Xvfb | null = null;
  let daemon: ChildProcess | null = null;
  let daemonLog = '';
  let metricsUrl = '';

  beforeAll(async () => {
    requireBuiltCli();
    if (!haveProm)
      throw new Error('prometheus and promtool are required in CI: .ci/run installs the prometheus package');
    xvfb = await Xvfb.start();
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: xvfb.display };
    // The X server is the only idle source: no session bus, so the D-Bus sources say unavailable.
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.WAYLAND_DISPLAY;
    daemon = spawn(
      process.execPath,
      [
        CLI,
        'daemon',
        '--data-dir',
        join(dir, 'data'),
        '--metrics',
        '127.0.0.1:0',
        '--interval',
        '1000',
        '--idle-threshold',
        '10',
      ],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(daemon);
    daemon.stderr?.on('data', (d: Buffer) => {
      daemonLog += d.toString();
    });
    await waitFor(
      () => /metrics: (http:\/\/\S+)/.test(daemonLog),
      30_000,
      `the daemon to serve metrics (log: ${daemonLog})`,
    );
    metricsUrl = /metrics: (http:\/\/\S+)/.exec(daemonLog)![1]!;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(children.map(killAndWait));
    await xvfb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('promtool test rules passes the shipped alert rules’ unit tests', () => {
    const out = execFileSync('promtool', ['test', 'rules', join(root, 'deploy', 'prometheus', 'alerts.test.yml')], {
      encoding: 'utf8',
    });
    expect(out).toContain('SUCCESS');
    // Every rule in alerts.yml has a test.
    const rules = [...readFileSync(ALERTS, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    const tests = readFileSync(join(root, 'deploy', 'prometheus', 'alerts.test.yml'), 'utf8');
    expect(rules.length).toBe(4);
    for (const r of rules) expect(tests).toContain(`alertname: ${r}`);
  });

  it('a real Prometheus scrapes the daemon while an idle-time miner runs: incident counter, the burner’s series, IdlewatchHijackOpen firing', {
    timeout: 300_000,
  }, async () => {
    // promtool check metrics on a scrape of the live endpoint (it reads the text on stdin).
    const scrape = await (await fetch(metricsUrl)).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
    expect(check.status, `promtool check metrics: ${check.stdout}${check.stderr}`).toBe(0);
    expect(scrape).toContain('idlewatch_source_up{source="procs.linux"} 1');
    expect(scrape).toContain('idlewatch_source_up{source="idle.x11"} 1');

    // A test copy of the rules with short waits: the rules themselves, only `for:` shortened.
    const rules = readFileSync(ALERTS, 'utf8').replace(/for: \w+/g, 'for: 4s');
    writeFileSync(join(dir, 'alerts.yml'), rules);
    const target = new URL(metricsUrl).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - ${join(dir, 'alerts.yml')}
scrape_configs:
  - job_name: idlewatch
    static_configs:
      - targets: ['${target}']
`,
    );
    const promPort = await freePort();
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(prom);
    let promLog = '';
    prom.stderr?.on('data', (d: Buffer) => {
      promLog = (promLog + d.toString()).slice(-4000);
    });
    const base = `http://127.0.0.1:${promPort}`;
    await waitFor(
      async () => (await fetch(`${base}/-/ready`).catch(() => null))?.ok === true,
      60_000,
      `Prometheus to be ready (${promLog})`,
    );
    await waitFor(
      async () => (await promQuery(base, 'up{job="idlewatch"} == 1')).length === 1,
      60_000,
      'the first scrape of the daemon',
    );

    // The Xvfb user has not touched anything: away once the 10 s threshold passed.
    await waitFor(
      async () => (await promQuery(base, 'idlewatch_user_state{state="idle"} == 1')).length === 1,
      60_000,
      'the user to count as away',
    );
    // The miner: a copy of sh hidden in a cache folder, busy only now that the user is away.
    const hidden = join(dir, 'home', '.cache', '.dbus-x');
    mkdirSync(hidden, { recursive: true });
    const exe = join(hidden, 'kworkerd');
    copyFileSync('/bin/sh', exe);
    const miner = spawn(exe, ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    children.push(miner);

    await waitFor(
      async () =>
        (await promQuery(base, 'sum(idlewatch_incidents_total{severity=~"medium|high",rule="cpu-while-idle"}) > 0'))
          .length === 1,
      150_000,
      `the incident counter in Prometheus (daemon log: ${daemonLog.slice(-2000)})`,
    );
    const series = await promQuery(base, 'idlewatch_process_cpu_ratio{name="kworkerd"}');
    expect(series.length).toBe(1);
    // The label is the executable's hash (once hashed), never a command line or a pid.
    const labels = series[0]!.metric;
    expect(Object.keys(labels).sort()).toEqual(['__name__', 'exe_hash', 'instance', 'job', 'name']);
    await waitFor(
      async () =>
        (await promQuery(base, 'idlewatch_process_cpu_ratio{name="kworkerd",exe_hash!=""} > 0.05')).length === 1,
      30_000,
      'the burner’s series with its executable hash',
    );
    const sha = execFileSync('sha256sum', [exe], { encoding: 'utf8' }).slice(0, 12);
    expect((await promQuery(base, 'idlewatch_process_cpu_ratio{name="kworkerd"}'))[0]!.metric.exe_hash).toBe(sha);
    expect(
      (await promQuery(base, 'idlewatch_process_incident_open{name="kworkerd",severity=~"medium|high"}')).length,
    ).toBe(1);

    await waitFor(
      async () => (await promQuery(base, 'ALERTS{alertname="IdlewatchHijackOpen",alertstate="firing"}')).length === 1,
      60_000,
      'IdlewatchHijackOpen to fire',
    );
    // Prometheus has scraped the daemon through all of it (about 30 s or more at 2 s).
    const scrapes = await promQuery(base, 'count_over_time(up{job="idlewatch"}[10m])');
    expect(Number(scrapes[0]!.value[1])).toBeGreaterThanOrEqual(15);
    const away = await promQuery(base, 'idlewatch_cpu_busy_while_away_seconds_total');
    expect(Number(away[0]!.value[1])).toBeGreaterThan(1);

    // Every query of the shipped dashboard runs on this Prometheus ($__range as 10m).
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const p of dashboard.panels) {
      for (const t of p.targets) {
        const expr = t.expr.replace(/\$__range|\$__rate_interval/g, '1m').replace(/\$job/g, 'idlewatch');
        await expect(promQuery(base, expr), `${p.title}: ${expr}`).resolves.toBeDefined();
      }
    }
    const offenders = await promQuery(
      base,
      dashboard.panels
        .find((p) => p.title === 'Top offending programs across hosts')!
        .targets[0]!.expr.replace(/\$job/g, 'idlewatch'),
    );
    expect(offenders.some((r) => r.metric.name === 'kworkerd')).toBe(true);
    const machines = await promQuery(
      base,
      dashboard.panels
        .find((p) => p.title === 'Machines with open incidents')!
        .targets[0]!.expr.replace(/\$job/g, 'idlewatch'),
    );
    expect(Number(machines[0]!.value[1])).toBe(1);

    await killAndWait(miner);
    // SIGTERM stops the daemon cleanly within 2 s.
    const d = daemon!;
    const t0 = Date.now();
    const exited = new Promise<number | null>((r) => d.once('exit', (code) => r(code)));
    d.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(code).toBe(0);
    expect(daemonLog).toMatch(/incident (raised|escalated): (medium|high) kworkerd/);
    expect(existsSync(join(dir, 'data', 'sampler.lock'))).toBe(false);
  });
});
