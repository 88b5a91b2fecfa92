// The Electron shell: a thin layer wiring the engine to a window through the typed IPC contract.
// Everything it calls is tested under Node and Chromium; this file only runs where Electron does.
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import type { EventContract, InvokeChannel, InvokeHandlers } from '../../shared/ipc.js';
import { Engine } from '../engine/engine.js';
import { PowerMonitorIdleSource } from '../engine/idle/electron-powermonitor.js';
import { defaultIdleSources } from '../engine/idle/idle-monitor.js';

const here = dirname(fileURLToPath(import.meta.url));
const rendererRoot = join(here, '..', 'renderer');
const SCHEME = 'app';
const MIME: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

let window: BrowserWindow | null = null;
let engine: Engine | null = null;

function isTrustedSender(frameUrl: string | undefined): boolean {
  return typeof frameUrl === 'string' && frameUrl.startsWith(`${SCHEME}://idlewatch/`);
}

function setupProtocol(): void {
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '') || 'index.html';
    const file = join(rendererRoot, rel);
    if (!file.startsWith(rendererRoot + sep)) return new Response('not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, { headers: { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

function setupIpc(e: Engine): void {
  const handlers: InvokeHandlers = {
    'engine:snapshot': () => e.snapshot(),
  };
  for (const channel of Object.keys(handlers) as InvokeChannel[]) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      // Only our own page may talk to the engine.
      if (!isTrustedSender(event.senderFrame?.url)) throw new Error('untrusted sender');
      return (handlers[channel] as (...a: unknown[]) => unknown)(...args);
    });
  }
  e.sampler.onSample((sample) => {
    if (!window || window.isDestroyed() || !window.isVisible()) return;
    const payload: EventContract['engine:sample'] = { sample, sources: e.sources() };
    window.webContents.send('engine:sample', payload);
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    title: 'Idlewatch',
    show: false,
    webPreferences: {
      preload: join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${SCHEME}://idlewatch/index.html`);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
    }
  });
  app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    setupProtocol();
    const { powerMonitor } = await import('electron');
    engine = new Engine({
      idleSources: [new PowerMonitorIdleSource(powerMonitor), ...defaultIdleSources(process.platform, process.env)],
    });
    setupIpc(engine);
    await engine.start();
    window = createWindow();
    window.on('closed', () => {
      window = null;
    });
  });
  app.on('window-all-closed', () => {
    // The tray (next issue) keeps watching; until then closing the window quits.
    app.quit();
  });
  app.on('before-quit', () => {
    void engine?.stop();
  });
}
