/// <reference lib="dom" />
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { EngineService, type EngineServiceOptions } from '../main/engine/service/engine-service.js';
import { API_EVENTS, API_INVOKE, buildApi } from '../shared/ipc.js';

import { serveRenderer } from './fixtures/serve-renderer.mjs';

export { RENDERER_DIR, serveRenderer } from './fixtures/serve-renderer.mjs';

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

/**
 * The real engine behind one window, as the app runs: the renderer served, the engine started on
 * `options()`, and the window in a browser context of its own. The context outlives engine
 * restarts, so the window's storage (such as the theme) carries over as it does in the app.
 */
export interface EngineWindow {
  readonly service: EngineService;
  readonly win: AppWindow;
  /** Stops the engine, starts a new one on `options()` (the same data folder) and opens a new page on it. */
  restartEngine(): Promise<void>;
  close(): Promise<void>;
}

export async function openEngineWindow(browser: Browser, options: () => EngineServiceOptions): Promise<EngineWindow> {
  const server = await serveRenderer();
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1280, height: 900 } });
  let service: EngineService | undefined;
  let win: AppWindow | undefined;
  const open = async () => {
    service = await EngineService.open(options());
    await service.start();
    win = await openWindow(browser, service, server.url, { context });
  };
  const shut = async () => {
    await win?.close();
    win = undefined;
    await service?.stop();
    service = undefined;
  };
  const close = async () => {
    await shut();
    await context.close();
    await server.close();
  };
  try {
    await open();
  } catch (e) {
    await close();
    throw e;
  }
  return {
    get service() {
      return service!;
    },
    get win() {
      return win!;
    },
    restartEngine: async () => {
      await shut();
      await open();
    },
    close,
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
