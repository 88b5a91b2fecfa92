/// <reference lib="dom" />
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { EngineService } from '../main/engine/service/engine-service.js';
import { API_EVENTS, API_INVOKE, buildApi } from '../shared/ipc.js';

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

export interface ConnectOptions {
  /** Called with every error the engine answered a request with (the message the window must show). */
  onInvokeError?: (channel: unknown, error: Error) => void;
}

/**
 * Puts the real engine service behind `window.idlewatch`, exactly the API the preload exposes:
 * every request goes through the same schema validation (`service.invoke`) as in the Electron
 * shell, and every contract event is forwarded to the page.
 */
export async function connectService(
  page: Page,
  service: EngineService,
  origin: string,
  opts: ConnectOptions = {},
): Promise<() => void> {
  await page.exposeBinding('__idlewatchInvoke', async (source, channel: unknown, args: unknown) => {
    // The same rule as the shell: only our own page may call the engine.
    if (!source.frame.url().startsWith(origin)) throw new Error('untrusted sender');
    try {
      return await service.invoke(channel, args);
    } catch (e) {
      opts.onInvokeError?.(channel, e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
  });
  await page.addInitScript(installBridge, { build: buildApi.toString(), invokeMap: API_INVOKE, eventMap: API_EVENTS });
  return service.onEvent((channel, payload) => {
    if (page.isClosed()) return;
    page
      .evaluate(
        ([c, p]) =>
          (window as unknown as { __idlewatchEmit?: (c: string, p: unknown) => void }).__idlewatchEmit?.(c, p),
        [channel, payload] as const,
      )
      .catch(() => undefined);
  });
}

/** One window on the engine: its own browser context and page, connected and loaded. */
export interface AppWindow {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page (a test asserts there were none). */
  pageErrors: string[];
  /** Errors the engine answered requests with, newest last. */
  engineErrors: { channel: unknown; message: string }[];
  close(): Promise<void>;
}

/**
 * Opens the built renderer connected to `service` (as the Electron shell opens its window) in a
 * fresh browser context, or in `opts.context` (its storage, such as the theme, carries over), and
 * waits for the page to load.
 */
export async function openWindow(
  browser: Browser,
  service: EngineService,
  url: string,
  opts: { context?: BrowserContext; colorScheme?: 'dark' | 'light'; viewport?: { width: number; height: number } } = {},
): Promise<AppWindow> {
  const own = opts.context === undefined;
  const context =
    opts.context ??
    (await browser.newContext({
      colorScheme: opts.colorScheme ?? 'dark',
      viewport: opts.viewport ?? { width: 1280, height: 860 },
    }));
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const engineErrors: AppWindow['engineErrors'] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const disconnect = await connectService(page, service, new URL(url).origin, {
    onInvokeError: (channel, error) => engineErrors.push({ channel, message: error.message }),
  });
  await page.goto(url);
  return {
    context,
    page,
    pageErrors,
    engineErrors,
    close: async () => {
      disconnect();
      if (own) await context.close();
      else await page.close();
    },
  };
}

export const SCREENSHOT_DIR = resolve(import.meta.dirname, 'screenshots');

/**
 * Saves `e2e/screenshots/<screen>-<theme>.png` in dark and in light, through the system colour
 * scheme (the window's Theme must be System), after checking the window really switched. A modal
 * dialog is best taken with `fullPage: false` (it covers the viewport, not the whole page).
 */
export async function screenshotThemes(page: Page, screen: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  // Results of earlier actions would cover the screen: dismiss them first.
  const dismiss = page.getByTestId('toast').getByRole('button', { name: 'Dismiss' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  for (const theme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached', timeout: 5000 });
    await page.screenshot({
      path: join(SCREENSHOT_DIR, `${screen}-${theme}.png`),
      fullPage: opts.fullPage ?? true,
      animations: 'disabled',
    });
  }
  await page.emulateMedia({ colorScheme: 'dark' });
}
