// A fake of exactly the Electron API the shell uses (main/app/electron-api.ts), for starting the
// shell under Node. It is typed against that API, which is itself made of Electron's definitions
// and checked against the real module in main.ts: a change in Electron's .d.ts that touches the
// shell breaks the build on one side or the other.
//
// The fake keeps Electron's documented rules where breaking them would go unnoticed under Node:
// protocol schemes are registered before ready; windows, trays, protocol handlers, the default
// session, the power monitor and utility processes only after; ipcMain.handle refuses a second
// handler for a channel; quitting asks the windows to close, and a prevented close or before-quit
// cancels it. The utility process is a real Node child of the entry given, with
// `process.parentPort` shimmed in.
import { type ChildProcess, fork, type Serializable } from 'node:child_process';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  ElectronApi,
  ShellApp,
  ShellContents,
  ShellInvokeEvent,
  ShellMenuItemOptions,
  ShellNotification,
  ShellPowerMonitor,
  ShellProtocol,
  ShellSession,
  ShellTray,
  ShellUtilityProcess,
  ShellWindow,
  ShellWindowContents,
} from '../../main/app/electron-api.js';

const SHIM = pathToFileURL(resolve(import.meta.dirname, 'parent-port-shim.mjs')).href;

type Listener<A extends unknown[]> = (...args: A) => void;

/** Node's EventEmitter, typed by event: `on` takes only the events listed, `emit` their arguments. */
class Emitter<Events extends Record<string, unknown[]>> {
  private readonly listeners: { [K in keyof Events]?: Set<Listener<Events[K]>> } = {};

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    let set = this.listeners[event];
    if (!set) {
      set = new Set();
      this.listeners[event] = set;
    }
    set.add(listener);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    const once: Listener<Events[K]> = (...args) => {
      this.off(event, once);
      listener(...args);
    };
    return this.on(event, once);
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): this {
    this.listeners[event]?.delete(listener);
    return this;
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const l of [...(this.listeners[event] ?? [])]) l(...args);
  }

  listenerCount(event: keyof Events): number {
    return this.listeners[event]?.size ?? 0;
  }
}

/** Electron.Event: what a listener may prevent. */
export class FakeEvent implements Electron.Event {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeImage {
  template = false;
  constructor(readonly path: string) {}
  setTemplateImage(option: boolean): void {
    this.template = option;
  }
}

export class FakeMenu {
  constructor(readonly items: ShellMenuItemOptions[]) {}

  /** Every item's label, separators as '---'. */
  labels(): string[] {
    return this.items.map((i) => (i.type === 'separator' ? '---' : (i.label ?? '')));
  }

  /** Clicks an item as Electron does: a checkbox is toggled first, then its click gets the item. */
  click(label: string): void {
    const item = this.items.find((i) => i.label === label);
    if (!item) throw new Error(`no menu item "${label}" in ${JSON.stringify(this.labels())}`);
    if (item.enabled === false) throw new Error(`menu item "${label}" is disabled`);
    if (item.type === 'checkbox') item.checked = !item.checked;
    item.click?.({ checked: item.checked ?? false });
  }
}

type AppEvents = {
  'second-instance': [];
  activate: [];
  'window-all-closed': [];
  'before-quit': [event: Electron.Event];
  'web-contents-created': [event: Electron.Event, contents: ShellContents];
};

type ContentsEvents = {
  'did-finish-load': [];
  'will-navigate': [event: Electron.Event];
  'will-redirect': [event: Electron.Event, url: string];
  'will-attach-webview': [event: Electron.Event];
};

type WindowEvents = { 'ready-to-show': []; close: [event: Electron.Event]; hide: []; show: []; closed: [] };

export interface FakeElectronOptions {
  /** What requestSingleInstanceLock answers: false is a second instance. */
  lock?: boolean;
  /** app.getAppPath(). */
  appPath: string;
}

export interface FakeChild {
  process: ChildProcess;
  modulePath: string;
  options: Electron.ForkOptions;
}

/** The fake, and what the test reads back of it. */
export function createFakeElectron(opts: FakeElectronOptions) {
  let ready = false;
  let nextContentsId = 1;
  const rules: string[] = [];
  /** A call Electron refuses at this point of the start-up: recorded, and thrown like Electron would. */
  const refuse = (why: string): never => {
    rules.push(why);
    throw new Error(why);
  };
  const afterReady = (what: string): void => {
    if (!ready) refuse(`${what} before the app is ready`);
  };

  class FakeApp extends Emitter<AppEvents> implements ShellApp {
    readonly isPackaged = false;
    lockRequests = 0;
    quitCalls = 0;
    /** Set once a quit went through (not prevented): the process would end here. */
    quitted = false;
    exitCode: number | null = null;
    appUserModelId: string | null = null;
    loginItemSettings: Electron.Settings | null = null;
    private readyPromise: Promise<void> | null = null;

    requestSingleInstanceLock(): boolean {
      this.lockRequests++;
      return opts.lock ?? true;
    }
    whenReady(): Promise<void> {
      this.readyPromise ??= Promise.resolve().then(() => {
        ready = true;
      });
      return this.readyPromise;
    }
    quit(): void {
      this.quitCalls++;
      const event = new FakeEvent();
      this.emit('before-quit', event);
      if (event.defaultPrevented) return;
      for (const w of windows) if (!w.isDestroyed() && !w.close()) return;
      this.quitted = true;
    }
    exit(exitCode?: number): void {
      this.exitCode = exitCode ?? 0;
    }
    getAppPath(): string {
      return opts.appPath;
    }
    setAppUserModelId(id: string): void {
      this.appUserModelId = id;
    }
    setLoginItemSettings(settings: Electron.Settings): void {
      this.loginItemSettings = settings;
    }
    getLoginItemSettings(): Electron.LoginItemSettings {
      return {
        openAtLogin: false,
        wasOpenedAtLogin: false,
        status: 'not-registered',
        executableWillLaunchAtLogin: false,
        launchItems: [],
      };
    }
  }
  const app = new FakeApp();

  class FakeWebContents extends Emitter<ContentsEvents> implements ShellContents, ShellWindowContents {
    readonly id = nextContentsId++;
    readonly sent: { channel: string; args: unknown[] }[] = [];
    windowOpenHandler: ((details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse) | null = null;

    send(channel: string, ...args: unknown[]): void {
      this.sent.push({ channel, args });
    }
    setWindowOpenHandler(handler: (details: Electron.HandlerDetails) => Electron.WindowOpenHandlerResponse): void {
      this.windowOpenHandler = handler;
    }
  }

  const windows: FakeWindow[] = [];
  class FakeWindow extends Emitter<WindowEvents> implements ShellWindow {
    readonly webContents = new FakeWebContents();
    visible = false;
    focused = 0;
    private destroyed = false;
    /** What app:// answered for the page loaded. */
    page: { url: string; status: number; headers: Headers; body: string } | null = null;

    constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
      super();
      afterReady('new BrowserWindow');
      windows.push(this);
      // Electron announces every web contents as it is created.
      app.emit('web-contents-created', new FakeEvent(), this.webContents);
    }
    /** Loads the page through the app's own protocol handler, as Chromium would. */
    async loadURL(url: string): Promise<void> {
      const scheme = new URL(url).protocol.slice(0, -1);
      const handler = protocol.handlers.get(scheme);
      if (!handler) throw new Error(`ERR_UNKNOWN_URL_SCHEME: ${url}`);
      const response = await handler(new Request(url));
      this.page = { url, status: response.status, headers: response.headers, body: await response.text() };
      if (this.destroyed || response.status !== 200) return;
      this.webContents.emit('did-finish-load');
      this.emit('ready-to-show');
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
    isMinimized(): boolean {
      return false;
    }
    restore(): void {}
    show(): void {
      if (this.visible) return;
      this.visible = true;
      this.emit('show');
    }
    hide(): void {
      if (!this.visible) return;
      this.visible = false;
      this.emit('hide');
    }
    focus(): void {
      this.focused++;
    }
    /** The close button (or a quit): true when the window really closed. */
    close(): boolean {
      const event = new FakeEvent();
      this.emit('close', event);
      if (event.defaultPrevented) return false;
      this.destroy();
      return true;
    }
    destroy(): void {
      if (this.destroyed) return;
      this.destroyed = true;
      this.visible = false;
      this.emit('closed');
    }
  }

  const trays: FakeTray[] = [];
  class FakeTray extends Emitter<{ click: [] }> implements ShellTray<FakeImage, FakeMenu> {
    menu: FakeMenu | null = null;
    tooltip = '';
    title = '';
    destroyed = false;
    constructor(public image: FakeImage) {
      super();
      afterReady('new Tray');
      trays.push(this);
    }
    setImage(image: FakeImage): void {
      this.image = image;
    }
    setToolTip(toolTip: string): void {
      this.tooltip = toolTip;
    }
    setTitle(title: string): void {
      this.title = title;
    }
    setContextMenu(menu: FakeMenu | null): void {
      this.menu = menu;
    }
    destroy(): void {
      this.destroyed = true;
    }
  }

  const notifications: FakeNotification[] = [];
  class FakeNotification extends Emitter<{ click: []; close: []; failed: [] }> implements ShellNotification {
    static isSupported(): boolean {
      return true;
    }
    shown = false;
    constructor(readonly options: Electron.NotificationConstructorOptions) {
      super();
      notifications.push(this);
    }
    show(): void {
      this.shown = true;
    }
  }

  class FakeProtocol implements ShellProtocol {
    readonly privileged: Electron.CustomScheme[] = [];
    readonly handlers = new Map<string, (request: Request) => Response | Promise<Response>>();
    registerSchemesAsPrivileged(customSchemes: Electron.CustomScheme[]): void {
      if (ready) refuse('protocol.registerSchemesAsPrivileged after the app is ready');
      this.privileged.push(...customSchemes);
    }
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
      afterReady('protocol.handle');
      this.handlers.set(scheme, handler);
    }
  }
  const protocol = new FakeProtocol();

  type Handler<K extends keyof ShellSession> = Parameters<ShellSession[K]>[0];
  class FakeSession implements ShellSession {
    request: Handler<'setPermissionRequestHandler'> = null;
    check: Handler<'setPermissionCheckHandler'> = null;
    device: Handler<'setDevicePermissionHandler'> = null;
    setPermissionRequestHandler(handler: Handler<'setPermissionRequestHandler'>): void {
      this.request = handler;
    }
    setPermissionCheckHandler(handler: Handler<'setPermissionCheckHandler'>): void {
      this.check = handler;
    }
    setDevicePermissionHandler(handler: Handler<'setDevicePermissionHandler'>): void {
      this.device = handler;
    }
  }
  const defaultSession = new FakeSession();
  const session = {
    get defaultSession() {
      afterReady('session.defaultSession');
      return defaultSession;
    },
  };

  const ipcMain = {
    handlers: new Map<string, (event: ShellInvokeEvent, ...args: unknown[]) => unknown>(),
    handle(channel: string, listener: (event: ShellInvokeEvent, ...args: unknown[]) => unknown): void {
      if (this.handlers.has(channel)) refuse(`Attempted to register a second handler for '${channel}'`);
      this.handlers.set(channel, listener);
    },
    /** A renderer's ipcRenderer.invoke, from the web contents and frame URL given. */
    async invoke(channel: string, sender: { id: number; url: string | null }, ...args: unknown[]): Promise<unknown> {
      const handler = this.handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      const event: ShellInvokeEvent = {
        sender: { id: sender.id },
        senderFrame: sender.url === null ? null : { url: sender.url },
      };
      return handler(event, ...args);
    },
  };

  class FakePowerMonitor
    extends Emitter<{ suspend: []; resume: []; 'lock-screen': []; 'unlock-screen': [] }>
    implements ShellPowerMonitor
  {
    idleSec = 0;
    locked = false;
    getSystemIdleTime(): number {
      afterReady('powerMonitor.getSystemIdleTime');
      return this.idleSec;
    }
    getSystemIdleState(idleThreshold: number): 'active' | 'idle' | 'locked' | 'unknown' {
      afterReady('powerMonitor.getSystemIdleState');
      if (this.locked) return 'locked';
      return this.idleSec >= idleThreshold ? 'idle' : 'active';
    }
  }
  const powerMonitor = new FakePowerMonitor();

  const children: FakeChild[] = [];
  const utilityProcess = {
    /** Forks `modulePath` with Node, as Electron would start it in a utility process. */
    fork(modulePath: string, args: string[], options: Electron.ForkOptions): ShellUtilityProcess {
      afterReady('utilityProcess.fork');
      const out = typeof options.stdio === 'string' ? options.stdio : 'inherit';
      const env = Object.fromEntries(
        Object.entries(options.env ?? process.env).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
      const cp = fork(modulePath, args, {
        env,
        // Utility processes exchange structured clones, as advanced serialization does.
        serialization: 'advanced',
        execArgv: [...(options.execArgv ?? []), '--import', SHIM],
        stdio: ['ignore', out === 'pipe' ? 'pipe' : out === 'ignore' ? 'ignore' : 'inherit', 'inherit', 'ipc'],
      });
      children.push({ process: cp, modulePath, options });
      const events = new Emitter<{ message: [message: unknown]; exit: [code: number] }>();
      cp.on('message', (m) => events.emit('message', m));
      // Node has no exit code for a process killed by a signal; Chromium reports the signal's number.
      cp.on('exit', (code, signal) => events.emit('exit', code ?? (signal ? constants.signals[signal] : 1)));
      const child = {
        postMessage(message: Serializable): void {
          // A message to a process that just died is lost, as Electron's is; the exit event follows.
          if (cp.connected) cp.send(message, () => undefined);
        },
        kill(): boolean {
          return cp.kill('SIGTERM');
        },
        on: events.on.bind(events),
      } satisfies ShellUtilityProcess;
      return child;
    },
  };

  const api = {
    app,
    session,
    protocol,
    BrowserWindow: FakeWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (template: ShellMenuItemOptions[]) => new FakeMenu(template) },
    nativeImage: { createFromPath: (path: string) => new FakeImage(path) },
    Notification: FakeNotification,
    ipcMain,
    utilityProcess,
    powerMonitor,
  } satisfies ElectronApi<FakeImage, FakeMenu>;

  return {
    api,
    app,
    protocol,
    defaultSession,
    ipcMain,
    powerMonitor,
    windows,
    trays,
    notifications,
    children,
    /** Electron rules the shell broke (each was also thrown at it). */
    rules,
    /** Kills whatever child is still running (a failed test must not leave engines behind). */
    killChildren(): void {
      for (const c of children)
        if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    },
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;
