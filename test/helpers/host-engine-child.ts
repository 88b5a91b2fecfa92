// What the host tests need to run an engine entry as Electron's utility process would: a bundle
// of it that plain Node can run, and a forked child behind the EngineChild interface.
import { type ChildProcess, fork } from 'node:child_process';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
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
