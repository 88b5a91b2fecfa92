// Frame-time benchmark of the window's Overview under a heavy live feed (a benchmark, not a test):
// the built renderer in Chromium with a fake `window.idlewatch` (the IdlewatchApi shape) that emits
// an engine:sample of 1,000 processes every second (the process stream of shared/proc-stream.ts: one
// keyframe, then every process's figures), each process's CPU and GPU changing each time.
// Frame times come from requestAnimationFrame deltas, long tasks from PerformanceObserver.
//
//   node scripts/build.mjs renderer && node bench/frames.mjs [--duration 30] [--procs 1000] [--scroll]
//
// --scroll also scrolls the "Busy now" table up and down throughout (the virtualizer's worst case).
// Prints a table and writes bench/results/frames.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { RENDERER_DIR, serveRenderer } from '../e2e/fixtures/serve-renderer.mjs';
import { CHROMIUM_ARGS, CHROMIUM_HELP, findChromium } from '../scripts/find-chromium.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, 'bench', 'results');

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    procs: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '3' },
    scroll: { type: 'boolean', default: false },
  },
});
const durationSec = Number(args.duration);
const procCount = Number(args.procs);
const warmupSec = Number(args.warmup);
if (!(durationSec > 0) || !(procCount > 0) || !(warmupSec >= 0)) {
  console.error('usage: node bench/frames.mjs [--duration SEC] [--procs N] [--warmup SEC] [--scroll]');
  process.exit(2);
}
if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
  console.error(`the renderer is not built (${RENDERER_DIR} is missing): run node scripts/build.mjs renderer`);
  process.exit(1);
}

// ---- the fake API must offer every method of the contract ------------------------------------------
function contractMethods() {
  const text = readFileSync(join(root, 'shared', 'ipc.ts'), 'utf8');
  const block = (name) => {
    const m = new RegExp(`export const ${name} = \\{([^}]*)\\}`).exec(text);
    return m ? [...m[1].matchAll(/^\s*(\w+):/gm)].map((x) => x[1]) : [];
  };
  return { invoke: block('API_INVOKE'), events: block('API_EVENTS') };
}

// ---- the page side: runs in Chromium before the renderer ----------------------------------------------
/** Installs window.idlewatch: plausible data for every method; a 1 Hz sample of `procs` changing processes. */
function installFakeApi({ procs: n }) {
  const now = Date.now();
  let seed = 0x2545f491;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const names = ['chrome', 'code', 'node', 'python3', 'steam', 'Xorg', 'gnome-shell', 'firefox', 'rustc', 'java'];
  const procs = [];
  for (let i = 0; i < n; i++) {
    const name = names[i % names.length];
    procs.push({
      pid: 1000 + i,
      ppid: i === 0 ? 1 : 1000 + Math.floor(rand() * i),
      name: `${name}${i >= names.length ? `-${i}` : ''}`,
      exe: `/usr/bin/${name}`,
      cmdline: `/usr/bin/${name} --worker=${i}`,
      user: i % 7 === 0 ? 'root' : 'alice',
      startTimeMs: now - 3_600_000 + i * 1000,
      cpu: 0,
      gpu: null,
      gpuMemMiB: null,
      gpuId: null,
      rssKiB: 10_000 + i * 13,
    });
  }
  const gpu = { id: '0', vendor: 'nvidia', name: 'NVIDIA GeForce RTX 4070', memoryMiB: 12_282, util: 0, memUsedMiB: 0 };
  const sources = [
    { id: 'procs.linux', label: 'Processes (/proc)', health: 'ok', detail: 'reading /proc directly' },
    { id: 'cpu.linux', label: 'System CPU (/proc/stat)', health: 'ok', detail: 'reading /proc/stat' },
    { id: 'gpu.nvidia', label: 'NVIDIA GPUs (nvidia-smi)', health: 'ok', detail: 'nvidia-smi 550.54' },
    { id: 'idle.x11', label: 'X11 idle time (MIT-SCREEN-SAVER)', health: 'ok', detail: 'display :0' },
  ];
  let tick = 0;
  const sample = () => {
    tick++;
    let total = 0;
    for (const p of procs) {
      // Every process busy (so every one is a row), every value new each second.
      p.cpu = Math.round((0.1 + rand() * (p.pid % 50 === 0 ? 99 : 8)) * 10) / 10;
      p.gpu = p.pid % 20 === 0 ? Math.round(rand() * 1000) / 10 : 0;
      p.gpuMemMiB = p.pid % 20 === 0 ? Math.round(rand() * 2000) : null;
      p.gpuId = p.pid % 20 === 0 ? '0' : null;
      total += p.cpu;
    }
    gpu.util = Math.round(rand() * 1000) / 10;
    gpu.memUsedMiB = Math.round(2000 + rand() * 6000);
    return {
      at: Date.now(),
      user: { state: 'active', idleSec: tick % 30, source: 'idle.x11' },
      system: { cpu: Math.min(100, total / 16), cores: 16 },
      gpus: [{ ...gpu }],
      // The rows themselves (not copies): the page gets only the stream's message built from them.
      procs,
      unreadable: 3,
      tickMs: 4 + rand() * 3,
    };
  };
  const history = [];
  for (let i = 600; i > 0; i--) {
    history.push({
      at: now - i * 1000,
      userState: i > 300 ? 'idle' : 'active',
      cpu: 10 + rand() * 40,
      gpus: [{ id: '0', util: rand() * 100 }],
      top: [],
    });
  }
  const incident = (i, severity) => ({
    pid: 1000 + i,
    startT: now - 3_600_000 + i * 1000,
    name: procs[i].name,
    exe: procs[i].exe,
    cmdline: procs[i].cmdline,
    user: procs[i].user,
    severity,
    score: severity === 'high' ? 0.9 : 0.6,
    firstAt: now - 300_000,
    lastAt: now - 10_000,
    reasons: [
      { rule: 'gpu-while-idle', detail: 'GPU 95% for 4 min while you were away (no input for 5 min)' },
      { rule: 'onset-after-idle', detail: 'GPU load began 62 s after your last input' },
    ],
    idleGpuSec: 228,
    idleCpuSec: 12,
    allowlisted: false,
    key: `${1000 + i}@${now - 3_600_000 + i * 1000}`,
    reviewed: false,
    live: true,
    running: true,
    paused: false,
  });
  const incidents = [incident(40, 'high'), incident(60, 'medium'), incident(80, 'low')];
  const settings = {
    idleThresholdSec: 60,
    sensitivity: 'normal',
    notifications: true,
    quietWhileFullscreen: true,
    launchAtLogin: false,
    samplingIntervalMs: 1000,
    historyRetentionDays: 30,
  };
  const status = {
    pausedUntil: null,
    suspended: false,
    problems: [],
    error: null,
    dataDir: '/home/alice/.local/share/idlewatch',
    open: { high: 1, medium: 1, low: 1 },
    paused: [],
  };
  const scan = { running: false, progress: null, report: null, finishedAt: null, error: null };
  const listeners = new Map();
  const on = (channel) => (listener) => {
    if (!listeners.has(channel)) listeners.set(channel, new Set());
    listeners.get(channel).add(listener);
    return () => listeners.get(channel).delete(listener);
  };
  const emit = (channel, payload) => {
    for (const l of listeners.get(channel) ?? []) l(payload);
  };
  const ok = (action, target, detail) => Promise.resolve({ ok: true, action, pid: target.pid, detail });
  // The process stream as the engine sends it (shared/proc-stream.ts): a keyframe with every identity
  // when the window subscribes, then each second the figures of every process (all of them change).
  let subscribed = false;
  let keyframe = false;
  let seq = 0;
  const figures = (p, i) => [i + 1, p.cpu, p.gpu, p.gpuMemMiB, p.gpuId];
  const delta = (s) => {
    if (!subscribed) return null;
    const base = keyframe ? null : seq;
    const ids = keyframe
      ? s.procs.map((p, i) => ({
          id: i + 1,
          pid: p.pid,
          ppid: p.ppid,
          startTimeMs: p.startTimeMs,
          name: p.name,
          exe: p.exe,
          cmdline: p.cmdline,
          user: p.user,
          cut: false,
        }))
      : [];
    keyframe = false;
    seq++;
    return { seq, base, ids, figs: s.procs.map(figures), gone: [], count: s.procs.length, pending: 0 };
  };
  const summary = (s) => {
    const { procs: list, ...rest } = s;
    return { ...rest, procCount: list.length };
  };
  let latest = sample();
  window.__bench = { samples: 1 };
  // Through structuredClone, as IPC hands the renderer a copy.
  const send = () => emit('engine:sample', structuredClone({ sample: summary(latest), sources, procs: delta(latest) }));
  setInterval(() => {
    latest = sample();
    window.__bench.samples++;
    send();
  }, 1000);
  window.idlewatch = Object.freeze({
    getSnapshot: async () => ({
      latest: summary(latest),
      sources,
      history,
      intervalMs: 1000,
      idleThresholdSec: 60,
      platform: 'linux',
    }),
    streamProcs: async (on) => {
      subscribed = on;
      keyframe = on;
      if (on) send();
      return on;
    },
    getStatus: async () => status,
    setPaused: async (until) => ({ ...status, pausedUntil: until }),
    listIncidents: async () => incidents,
    reviewIncident: async (key, reviewed) => {
      const i = incidents.find((x) => x.key === key);
      return i ? { ...i, reviewed } : null;
    },
    getAwaySummary: async () => null,
    getProcessDetails: async (key) => {
      const p = latest.procs.find((x) => x.pid === key.pid);
      if (!p) return null;
      return {
        key: `${p.pid}@${p.startTimeMs}`,
        pid: p.pid,
        startTimeMs: p.startTimeMs,
        name: p.name,
        exe: p.exe,
        cmdline: p.cmdline,
        user: p.user,
        proc: p,
        parents: [],
        conns: [],
        sha256: null,
        series: [],
        idleBands: [],
        incident: null,
        allowlist: null,
        paused: false,
      };
    },
    kill: (t) => ok('kill', t, `process ${t.pid} exited after SIGTERM`),
    pause: (t) => ok('pause', t, `process ${t.pid} is paused`),
    resume: (t) => ok('resume', t, `process ${t.pid} is running again`),
    listAllowlist: async () => [],
    addAllowlist: async (input) => ({
      id: 'a1',
      exe: input.exe,
      sha256: input.sha256 ?? null,
      args: input.args ?? null,
      reason: input.reason ?? '',
      note: input.note ?? '',
      addedAt: Date.now(),
    }),
    removeAllowlist: async () => true,
    exportAllowlist: async () =>
      JSON.stringify({ format: 'idlewatch-allowlist', version: 1, exportedAt: new Date().toISOString(), entries: [] }),
    importAllowlist: async () => ({ added: 0, skipped: 0, entries: [] }),
    getSettings: async () => settings,
    setSettings: async (patch) => Object.assign(settings, patch),
    startScan: async () => false,
    cancelScan: async () => false,
    getScan: async () => scan,
    getScanHtml: async () => null,
    removePersistence: async () => ({ ok: false, reason: 'no report', backup: null }),
    setWindowVisible: async (visible) => visible,
    killQuarantineFinding: async () => ({ ok: false, code: 'failed', reason: 'not in the benchmark' }),
    killAndQuarantine: async () => ({ ok: false, code: 'failed', reason: 'not in the benchmark' }),
    listQuarantine: async () => ({ items: [], problems: [], folder: '/home/alice/.local/share/idlewatch/quarantine' }),
    restoreQuarantine: async () => ({ ok: false, code: 'failed', reason: 'not in the benchmark' }),
    deleteQuarantine: async () => ({ ok: false, code: 'failed', reason: 'not in the benchmark' }),
    onSample: on('engine:sample'),
    onStatus: on('engine:status'),
    onIncident: on('incident:changed'),
    onAwaySummary: on('away:summary'),
    onScan: on('scan:state'),
    onAllowlist: on('allowlist:changed'),
    onSettings: on('settings:changed'),
    onNavigate: on('app:navigate'),
    onQuarantine: on('quarantine:changed'),
  });
}

/** Starts recording in the page: rAF deltas and long tasks, and optionally scrolling Busy now. */
function startRecording({ scroll }) {
  const frames = [];
  const longTasks = [];
  let last = performance.now();
  let recording = true;
  const loop = (t) => {
    if (!recording) return;
    frames.push(t - last);
    last = t;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame((t) => {
    last = t;
    requestAnimationFrame(loop);
  });
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  });
  observer.observe({ type: 'longtask' });
  let scrollTimer = null;
  if (scroll) {
    const el = document.querySelector('[data-testid="busy-table"]')?.closest('.virtual-scroll');
    let dir = 1;
    scrollTimer = setInterval(() => {
      if (!el) return;
      el.scrollTop += dir * 90;
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) dir = -1;
      if (el.scrollTop <= 0) dir = 1;
    }, 16);
  }
  const samplesAtStart = window.__bench.samples;
  window.__stopRecording = () => {
    recording = false;
    observer.disconnect();
    if (scrollTimer) clearInterval(scrollTimer);
    const table = document.querySelector('[data-testid="busy-table"]');
    return {
      frames,
      longTasks,
      samples: window.__bench.samples - samplesAtStart,
      busyRows: table ? table.querySelectorAll('tbody tr.busy-row').length : -1,
      busyTrs: table ? table.querySelectorAll('tbody tr').length : -1,
      domNodes: document.getElementsByTagName('*').length,
      heading: document.getElementById('busy-heading')?.textContent ?? '',
    };
  };
}

// ---- run ------------------------------------------------------------------------------------------
const server = await serveRenderer();

const contract = contractMethods();
const chromiumPath = await findChromium();
if (!chromiumPath) {
  console.error(CHROMIUM_HELP);
  process.exit(1);
}
const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
let result;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(installFakeApi, { procs: procCount });
  await page.goto(server.url);
  const methods = await page.evaluate(() => Object.keys(window.idlewatch));
  const missing = [...contract.invoke, ...contract.events].filter((m) => !methods.includes(m));
  if (missing.length > 0) throw new Error(`the fake API lacks contract methods: ${missing.join(', ')}`);
  await page.locator('[data-testid="busy-table"] tbody tr.busy-row').first().waitFor({ timeout: 15_000 });
  await page.waitForFunction(
    (n) => document.getElementById('busy-heading')?.textContent?.includes(`${n} shown`),
    procCount,
    {
      timeout: 15_000,
    },
  );
  await page.waitForTimeout(warmupSec * 1000);
  await page.evaluate(startRecording, { scroll: args.scroll });
  await page.waitForTimeout(durationSec * 1000);
  const raw = await page.evaluate(() => window.__stopRecording());
  if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);

  const sorted = [...raw.frames].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  const r1 = (x) => Math.round(x * 10) / 10;
  result = {
    date: new Date().toISOString(),
    chromium: browser.version(),
    machine: { cpus: availableParallelism(), model: cpus()[0]?.model ?? 'unknown', loadAvg1m: loadavg()[0] },
    config: { durationSec, warmupSec, procs: procCount, scroll: args.scroll, sampleHz: 1, viewport: '1280x900' },
    samplesDuringRun: raw.samples,
    frames: {
      count: raw.frames.length,
      fps: r1(raw.frames.length / durationSec),
      medianMs: r1(q(50)),
      p95Ms: r1(q(95)),
      p99Ms: r1(q(99)),
      maxMs: r1(sorted.at(-1) ?? 0),
      droppedOver50Ms: raw.frames.filter((f) => f > 50).length,
    },
    longTasks: {
      count: raw.longTasks.length,
      totalMs: Math.round(raw.longTasks.reduce((a, b) => a + b, 0)),
      maxMs: Math.round(Math.max(0, ...raw.longTasks)),
    },
    busyTable: { rowsInDom: raw.busyRows, trsInDom: raw.busyTrs, heading: raw.heading.trim() },
    domNodes: raw.domNodes,
  };
} finally {
  await browser.close();
  server.close();
}

const rows = [
  ['processes in each sample', String(result.config.procs)],
  ['samples during the run', String(result.samplesDuringRun)],
  ['frames recorded', `${result.frames.count} (${result.frames.fps} fps)`],
  ['median frame time', `${result.frames.medianMs} ms`],
  ['p95 frame time', `${result.frames.p95Ms} ms`],
  ['p99 frame time', `${result.frames.p99Ms} ms`],
  ['worst frame', `${result.frames.maxMs} ms`],
  ['dropped frames (> 50 ms)', String(result.frames.droppedOver50Ms)],
  [
    'long tasks',
    `${result.longTasks.count}, ${result.longTasks.totalMs} ms total, longest ${result.longTasks.maxMs} ms`,
  ],
  ['Busy now rows in the DOM', `${result.busyTable.rowsInDom} of ${result.config.procs} (${result.busyTable.heading})`],
  ['DOM elements in the page', String(result.domNodes)],
];
const width = Math.max(...rows.map((r) => r[0].length));
console.log(
  `Overview frame times, ${durationSec} s${args.scroll ? ' while scrolling Busy now' : ''}, Chromium ${result.chromium}, ${result.machine.cpus} CPUs (${result.machine.model})`,
);
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
mkdirSync(resultsDir, { recursive: true });
const out = join(resultsDir, args.scroll ? 'frames-scroll.json' : 'frames.json');
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`written ${out}`);
