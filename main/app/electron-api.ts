/**
 * Exactly the part of Electron's main-process API the shell calls, in Electron's own types. The
 * shell takes it as one object: main.ts hands it the real `electron` module (which must satisfy
 * this type), test/app-startup.test.ts hands it a fake typed against the same definitions. When
 * Electron's .d.ts drops or changes a member the shell uses, one of the two stops compiling.
 *
 * Members are Picked from Electron's types wherever a fake can implement them. Event subscriptions
 * are written out per event with Electron's listener types, because Electron declares `on` as
 * returning `this` (the App, the BrowserWindow…), which no fake can be; the real module is still
 * checked against every one of them. Objects that go from one member into another (an image into
 * the Tray, a menu into setContextMenu) are type parameters, so the fake's objects travel the same
 * way Electron's do.
 */

export type ShellApp = Pick<
  Electron.App,
  | 'requestSingleInstanceLock'
  | 'quit'
  | 'exit'
  | 'whenReady'
  | 'getAppPath'
  | 'setAppUserModelId'
  | 'isPackaged'
  | 'setLoginItemSettings'
  | 'getLoginItemSettings'
> & {
  on(event: 'second-instance', listener: () => void): unknown;
  on(event: 'activate', listener: () => void): unknown;
  on(event: 'window-all-closed', listener: () => void): unknown;
  on(event: 'before-quit', listener: (event: Electron.Event) => void): unknown;
  on(event: 'web-contents-created', listener: (event: Electron.Event, contents: ShellContents) => void): unknown;
};

/** Any web contents, as security.ts hardens it. */
export type ShellContents = Pick<Electron.WebContents, 'setWindowOpenHandler'> & {
  on(event: 'will-navigate', listener: (event: Electron.Event) => void): unknown;
  on(event: 'will-redirect', listener: (event: Electron.Event, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Electron.Event) => void): unknown;
};

/** The window's own web contents, as window.ts drives it. */
export type ShellWindowContents = Pick<Electron.WebContents, 'id' | 'send'> & {
  on(event: 'did-finish-load', listener: () => void): unknown;
};

export type ShellWindow = Pick<
  Electron.BrowserWindow,
  'isDestroyed' | 'isMinimized' | 'restore' | 'show' | 'hide' | 'focus' | 'destroy' | 'loadURL'
> & {
  readonly webContents: ShellWindowContents;
  once(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'close', listener: (event: Electron.Event) => void): unknown;
  on(event: 'hide', listener: () => void): unknown;
  on(event: 'show', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
};

export type ShellSession = Pick<
  Electron.Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'
>;

export type ShellProtocol = Pick<Electron.Protocol, 'registerSchemesAsPrivileged' | 'handle'>;

/** What a tray icon image must offer (macOS template images). */
export type ShellImage = Pick<Electron.NativeImage, 'setTemplateImage'>;

/** A menu item as the tray builds it; a click hands back the item, its checkbox already toggled. */
export type ShellMenuItemOptions = Pick<
  Electron.MenuItemConstructorOptions,
  'label' | 'type' | 'enabled' | 'checked'
> & {
  click?: (item: Pick<Electron.MenuItem, 'checked'>) => void;
};

export type ShellTray<Image, Menu> = Pick<Electron.Tray, 'setToolTip' | 'setTitle' | 'destroy'> & {
  setImage(image: Image): void;
  setContextMenu(menu: Menu | null): void;
  on(event: 'click', listener: () => void): unknown;
};

export type ShellNotification = Pick<Electron.Notification, 'show'> & {
  on(event: 'click', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'failed', listener: () => void): unknown;
};

/** What ipc.ts reads of a request's sender (ipc-guard.ts decides on it). */
export interface ShellInvokeEvent {
  readonly sender: Pick<Electron.IpcMainInvokeEvent['sender'], 'id'>;
  readonly senderFrame: Pick<NonNullable<Electron.IpcMainInvokeEvent['senderFrame']>, 'url'> | null;
}

export interface ShellIpcMain {
  handle(channel: string, listener: (event: ShellInvokeEvent, ...args: unknown[]) => unknown): void;
}

/** The engine's utility process; it must also be what EngineClient drives (engine-launch.ts returns it as one). */
export type ShellUtilityProcess = Pick<Electron.UtilityProcess, 'postMessage' | 'kill'> & {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
};

export type ShellPowerMonitor = Pick<Electron.PowerMonitor, 'getSystemIdleTime' | 'getSystemIdleState'> & {
  on(event: 'suspend', listener: () => void): unknown;
  on(event: 'resume', listener: () => void): unknown;
  on(event: 'lock-screen', listener: () => void): unknown;
  on(event: 'unlock-screen', listener: () => void): unknown;
  off(event: 'suspend', listener: () => void): unknown;
  off(event: 'resume', listener: () => void): unknown;
  off(event: 'lock-screen', listener: () => void): unknown;
  off(event: 'unlock-screen', listener: () => void): unknown;
};

export interface ElectronApi<Image extends ShellImage = Electron.NativeImage, Menu = Electron.Menu> {
  app: ShellApp;
  session: { readonly defaultSession: ShellSession };
  protocol: ShellProtocol;
  BrowserWindow: new (options: Electron.BrowserWindowConstructorOptions) => ShellWindow;
  Tray: new (image: Image) => ShellTray<Image, Menu>;
  Menu: { buildFromTemplate(template: ShellMenuItemOptions[]): Menu };
  nativeImage: { createFromPath(path: string): Image };
  Notification: Pick<typeof Electron.Notification, 'isSupported'> &
    (new (
      options: Electron.NotificationConstructorOptions,
    ) => ShellNotification);
  ipcMain: ShellIpcMain;
  utilityProcess: {
    fork(modulePath: string, args: string[], options: Electron.ForkOptions): ShellUtilityProcess;
  };
  powerMonitor: ShellPowerMonitor;
}
