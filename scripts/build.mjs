// One build for everything: renderer (browser), Electron main + engine process + preload, and the CLI (Node).
// Vite builds configured by hand; node targets use SSR mode so dependencies stay external.
import { rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, 'out');
const only = process.argv[2];
const external = ['electron', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** A Node-side bundle (CLI, Electron main, preload). `entry` may map output names to sources. */
function nodeTarget({ entry, outDir, fileName = '[name].js', format = 'es', banner = '', noExternal = false }) {
  const many = typeof entry === 'object';
  return {
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: many ? true : entry,
      outDir: resolve(out, outDir),
      emptyOutDir: true,
      target: 'node20',
      sourcemap: true,
      minify: false,
      rollupOptions: {
        ...(many ? { input: entry } : {}),
        external,
        output: { format, entryFileNames: fileName, banner },
      },
    },
    ssr: noExternal ? { noExternal: true } : {},
  };
}

/**
 * The deep scan's worker, written beside each bundle that starts scans (after it, since a target
 * empties its folder): the scan runs in its own thread or process, so that Cancel can always end
 * it (main/engine/scan/scan-isolated.ts). Self-contained, so the bundle beside it stays one file.
 */
const SCAN_WORKER_BESIDE = ['cli', 'engine'];
function scanWorker(outDir) {
  const target = nodeTarget({ entry: 'main/engine/scan/scan-worker.ts', outDir, fileName: 'scan-worker.js' });
  target.build.emptyOutDir = false;
  return target;
}

const targets = {
  renderer: async () => {
    const react = (await import('@vitejs/plugin-react')).default;
    await build({
      configFile: false,
      root: resolve(root, 'renderer'),
      base: './',
      logLevel: 'warn',
      plugins: [react()],
      build: { outDir: resolve(out, 'renderer'), emptyOutDir: true, sourcemap: true, target: 'chrome120' },
    });
  },
  cli: () =>
    build(
      nodeTarget({
        entry: 'main/cli/index.ts',
        outDir: 'cli',
        fileName: 'idlewatch.js',
        banner: '#!/usr/bin/env node',
      }),
    ),
  eval: () => build(nodeTarget({ entry: 'bench/eval.ts', outDir: 'eval', fileName: 'eval.js' })),
  holdout: () => build(nodeTarget({ entry: 'bench/holdout.ts', outDir: 'holdout', fileName: 'holdout.js' })),
  'eval-webroot': () =>
    build(nodeTarget({ entry: 'bench/eval-webroot.ts', outDir: 'eval-webroot', fileName: 'eval-webroot.js' })),
  bench: () =>
    build(
      nodeTarget({
        entry: {
          'tick-cost': 'bench/tick-cost.ts',
          overhead: 'bench/overhead.ts',
          'overhead-runner': 'bench/overhead-runner.ts',
          scan: 'bench/scan.ts',
          'replay-24h': 'bench/replay-24h.ts',
          'conn-cost': 'bench/conn-cost.ts',
          stream: 'bench/stream.ts',
          'trace-cost': 'bench/trace-cost.ts',
          'daemon-cost': 'bench/daemon-cost.ts',
          'daemon-cost-runner': 'bench/daemon-cost-runner.ts',
        },
        outDir: 'bench',
      }),
    ),
  main: () => build(nodeTarget({ entry: 'main/app/main.ts', outDir: 'main', fileName: 'index.js' })),
  // The engine's own process (an Electron utility process forked by the shell).
  engine: () => build(nodeTarget({ entry: 'main/app/engine-process.ts', outDir: 'engine', fileName: 'index.js' })),
  // Sandboxed preloads cannot be ES modules, and cannot require anything but electron: one CJS file.
  preload: () =>
    build(
      nodeTarget({
        entry: 'main/app/preload.ts',
        outDir: 'preload',
        fileName: 'index.cjs',
        format: 'cjs',
        noExternal: true,
      }),
    ),
};

// bench, eval, eval-webroot and holdout are built on demand by their npm scripts.
const defaults = ['renderer', 'cli', 'main', 'engine', 'preload'];
if (only && !(only in targets)) {
  console.error(`unknown build target "${only}"; known: ${Object.keys(targets).join(', ')}`);
  process.exit(2);
}
if (!only) rmSync(out, { recursive: true, force: true });
for (const [name, run] of Object.entries(targets)) {
  if (only ? only !== name : !defaults.includes(name)) continue;
  const t0 = performance.now();
  await run();
  if (SCAN_WORKER_BESIDE.includes(name)) await build(scanWorker(name));
  console.log(`built ${name.padEnd(8)} ${Math.round(performance.now() - t0)} ms`);
}
