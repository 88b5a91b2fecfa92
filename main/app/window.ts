// The window: created on demand, hidden (not closed) by its close button so the engine and the tray
// keep running, and destroyed after five minutes hidden so no renderer sits in memory for nothing.
import type { EventChannel, EventContract } from '../../shared/ipc.js';
import type { ElectronApi, ShellApp, ShellWindow } from './electron-api.js';
import { APP_ORIGIN } from './ipc-guard.js';
import { HiddenWindowReaper } from './window-reaper.js';

export interface AppWindowOptions {
  preload: string;
  url: string;
  /** True once the app is quitting: closing then really closes. */
  quitting: () => boolean;
}

type Navigate = EventContract['app:navigate'];

/** The window, not shown yet: the shell shows it once the rest is wired, unless started hidden. */
export function setupWindow(
  electron: Pick<ElectronApi, 'BrowserWindow'> & { app: Pick<ShellApp, 'on'> },
  preload: string,
  quitting: () => boolean,
): AppWindow {
  const window = new AppWindow(electron.BrowserWindow, { preload, url: `${APP_ORIGIN}/index.html`, quitting });
  // macOS: a click on the dock icon.
  electron.app.on('activate', () => window.show());
  // The tray keeps the app alive: closing (or reaping) the window does not quit.
  electron.app.on('window-all-closed', () => undefined);
  return window;
}

export class AppWindow {
  private win: ShellWindow | null = null;
  private loaded = false;
  private pendingNav: Navigate | null = null;
  private readonly reaper = new HiddenWindowReaper(() => this.destroy());

  constructor(
    private readonly BrowserWindow: ElectronApi['BrowserWindow'],
    private readonly opts: AppWindowOptions,
  ) {}

  /** The window's web contents id: the only sender the IPC guard accepts. */
  get webContentsId(): number | null {
    return this.win && !this.win.isDestroyed() ? this.win.webContents.id : null;
  }

  get native(): ShellWindow | null {
    return this.win;
  }

  /** Shows the window (creating it if needed), optionally on a screen. */
  show(nav?: Navigate): void {
    const win = this.win && !this.win.isDestroyed() ? this.win : this.create();
    if (nav) {
      if (this.loaded) win.webContents.send('app:navigate', nav);
      else this.pendingNav = nav;
    }
    if (win.isMinimized()) win.restore();
    if (this.loaded) win.show();
    win.focus();
    this.reaper.shown();
  }

  /** Sends an engine event to the window, when there is one. */
  send<C extends EventChannel>(channel: C, payload: EventContract[C]): void {
    const win = this.win;
    if (!win || win.isDestroyed() || !this.loaded) return;
    win.webContents.send(channel, payload);
  }

  destroy(): void {
    this.reaper.shown();
    const win = this.win;
    this.win = null;
    this.loaded = false;
    if (win && !win.isDestroyed()) win.destroy();
  }

  private create(): ShellWindow {
    const win = new this.BrowserWindow({
      width: 1100,
      height: 760,
      minWidth: 720,
      minHeight: 480,
      title: 'Idlewatch',
      show: false,
      webPreferences: {
        preload: this.opts.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        spellcheck: false,
      },
    });
    this.win = win;
    this.loaded = false;
    win.webContents.on('did-finish-load', () => {
      if (this.win !== win) return;
      this.loaded = true;
      const nav = this.pendingNav;
      this.pendingNav = null;
      if (nav) win.webContents.send('app:navigate', nav);
    });
    win.once('ready-to-show', () => win.show());
    win.on('close', (event) => {
      if (this.opts.quitting()) return;
      event.preventDefault();
      win.hide();
    });
    win.on('hide', () => this.reaper.hidden());
    win.on('show', () => this.reaper.shown());
    win.on('closed', () => {
      if (this.win === win) {
        this.win = null;
        this.loaded = false;
      }
    });
    void win.loadURL(this.opts.url);
    return win;
  }
}
