/// <reference lib="dom" />
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Page } from '@playwright/test';
import type { Engine } from '../main/engine/engine.js';
import {
  API_EVENTS,
  API_INVOKE,
  buildApi,
  type EventContract,
  type InvokeChannel,
  type InvokeHandlers,
} from '../shared/ipc.js';

export const RENDERER_DIR = resolve(import.meta.dirname, '..', 'out', 'renderer');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves the built renderer on loopback, as the app's custom protocol does inside Electron. */
export async function serveRenderer(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`the renderer is not built (${RENDERER_DIR} is missing): run npm run build first`);
  }
  const server: Server = createServer((req, res) => {
    const path =
      normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^([/\\])+/, '') ||
      'index.html';
    const file = join(RENDERER_DIR, path);
    if (!file.startsWith(RENDERER_DIR + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Runs in the page before any renderer code: the same buildApi the preload uses, over a Playwright binding. */
function installBridge({
  build,
  invokeMap,
  eventMap,
}: {
  build: string;
  invokeMap: Record<string, string>;
  eventMap: Record<string, string>;
}): void {
  const w = window as unknown as Record<string, unknown>;
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  w.__idlewatchEmit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l(payload);
  };
  // Evaluates the shared buildApi's own source text, so the page gets the
  // very function the preload runs.
  const buildApi = new Function(`return (${build});`)() as typeof import('../shared/ipc.js').buildApi;
  w.idlewatch = buildApi(
    (channel, args) => (w.__idlewatchInvoke as (c: string, a: unknown[]) => Promise<unknown>)(channel, args),
    (channel, listener) => {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(listener);
      return () => set.delete(listener);
    },
    invokeMap,
    eventMap,
  );
}

/**
 * Puts the real engine behind `window.idlewatch`, exactly the API the preload exposes, with
 * handlers typed from the same contract as the Electron shell's.
 */
export async function connectEngine(page: Page, engine: Engine, origin: string): Promise<() => void> {
  const handlers: InvokeHandlers = {
    'engine:snapshot': () => engine.snapshot(),
  };
  await page.exposeBinding('__idlewatchInvoke', async (source, channel: InvokeChannel, args: unknown[]) => {
    // The same rule as the shell: only our own page may call the engine.
    if (!source.frame.url().startsWith(origin)) throw new Error('untrusted sender');
    const handler = handlers[channel] as ((...a: unknown[]) => unknown) | undefined;
    if (!handler) throw new Error(`unknown channel ${channel}`);
    return handler(...args);
  });
  await page.addInitScript(installBridge, { build: buildApi.toString(), invokeMap: API_INVOKE, eventMap: API_EVENTS });
  return engine.sampler.onSample((sample) => {
    const payload: EventContract['engine:sample'] = { sample, sources: engine.sources() };
    page
      .evaluate(
        ([c, p]) => (window as unknown as { __idlewatchEmit: (c: string, p: unknown) => void }).__idlewatchEmit(c, p),
        ['engine:sample', payload] as const,
      )
      .catch(() => undefined);
  });
}
