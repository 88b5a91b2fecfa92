// What the host tests need to run an engine entry as Electron's utility process would: a bundle
// of it that plain Node can run, and a forked child behind the EngineChild interface.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineChild } from '../../main/engine/host/engine-client.js';

const REPO = resolve(import.meta.dirname, '..', '..');

/**
 * Bundles `entry` (TypeScript) into `outDir/fileName` as an ES module for Node. `external`: more
 * modules to leave out besides Node's own; `bundleDeps`: inline the packages too.
 */
export async function bundleForNode(opts: {
  entry: string;
  outDir: string;
  fileName: string;
  external?: string[];
  bundleDeps?: boolean;
}): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: REPO,
    logLevel: 'silent',
    build: {
      ssr: opts.entry,
      outDir: opts.outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      rollupOptions: {
        external: [...(opts.external ?? []), ...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
        output: { format: 'es', entryFileNames: opts.fileName },
      },
    },
    ...(opts.bundleDeps ? { ssr: { noExternal: true } } : {}),
  });
}

/**
 * The app's real engine process entry (main/app/engine-process.ts, bundled as scripts/build.mjs
 * bundles it) in a fresh folder `prefix`XXXXXX, and `shim`: the file to fork, which gives the entry
 * the `process.parentPort` Electron would and then loads it. The folder is under node_modules/.cache
 * so the bundle's external packages resolve from the repo; the caller removes it.
 */
export async function bundleEngineEntry(prefix: string): Promise<{ dir: string; shim: string }> {
  mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'node_modules', '.cache', prefix));
  await bundleForNode({
    entry: join(REPO, 'main/app/engine-process.ts'),
    outDir: join(dir, 'engine'),
    fileName: 'index.js',
    external: ['electron'],
  });
  // Electron's parentPort delivers MessageEvents ({ data }); process IPC delivers the data itself.
  const shim = join(dir, 'shim.mjs');
  writeFileSync(
    shim,
    `process.parentPort = {
  postMessage: (m) => process.send(m),
  on: (_e, fn) => process.on('message', (data) => fn({ data })),
};
await import(${JSON.stringify(pathToFileURL(join(dir, 'engine', 'index.js')).href)});
`,
  );
  return { dir, shim };
}

/**
 * Forks `file` with `env` added to ours, with the IPC the engine's utility process has (advanced
 * serialization) and its stderr shown, and wraps it as the EngineChild the client drives.
 */
export function forkEngineChild(file: string, env: NodeJS.ProcessEnv): { process: ChildProcess; child: EngineChild } {
  const cp = fork(file, [], {
    env: { ...process.env, ...env },
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const child = {
    postMessage: (m) => {
      // After an exit the channel is gone; the client learns of the exit on its own.
      if (cp.connected) cp.send(m);
    },
    on: (event: 'message' | 'exit', fn: (x: unknown) => void) =>
      event === 'message' ? cp.on('message', fn) : cp.on('exit', (code) => fn(code)),
    kill: () => cp.kill('SIGKILL'),
  } as EngineChild;
  return { process: cp, child };
}
