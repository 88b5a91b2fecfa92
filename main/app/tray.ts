// The tray icon: tray-model.ts decides what it shows; this file only turns the model into Tray and
// Menu calls, and the menu's clicks into engine requests and window moves. The menu is rebuilt
// whenever the model changes (Linux trays often ignore clicks and show the menu only, so every
// action is in it).
import { join } from 'node:path';
import { processKey } from '../../shared/identity.js';
import type { EngineClient } from '../engine/index.js';
import type { ElectronApi, ShellApp, ShellImage, ShellMenuItemOptions, ShellTray } from './electron-api.js';
import type { AppWindow } from './window.js';
import { type ShellState, type TrayAction, type TrayMenuItem, type TrayModel, trayModel } from './tray-model.js';

const PAUSE_MS = 3600_000;
// "Paused until" runs out on its own; the engine's status event follows, this catches the label up.
const REFRESH_MS = 30_000;

export interface TrayHandlers {
  /** `key`: the incident's key for 'incident', the paused process's key for 'resume-process'. */
  onAction(action: TrayAction, key?: string): void;
  onLaunchAtLogin(checked: boolean): void;
}

type TrayApi<Image extends ShellImage, Menu> = Pick<ElectronApi<Image, Menu>, 'Tray' | 'Menu' | 'nativeImage'>;

export interface ShellTrayHandle {
  /** Redraws the tray from the shell's state (a no-op when nothing changed). */
  refresh(): void;
  /** The state the tray shows, or null while there is no tray (the e2e smoke test reads it). */
  state(): TrayModel['state'] | null;
  destroy(): void;
}

/** The tray, drawn at once, with every menu action wired. */
export function setupTray<Image extends ShellImage, Menu>(
  electron: TrayApi<Image, Menu> & { app: Pick<ShellApp, 'quit'> },
  parts: {
    assetsDir: string;
    client: Pick<EngineClient, 'invoke'>;
    window: Pick<AppWindow, 'show'>;
    state: ShellState;
    launchAtLogin: (enabled: boolean) => void;
  },
): ShellTrayHandle {
  const { client, window, state } = parts;
  const model = (): TrayModel => trayModel(state.inputs(Date.now(), process.platform));
  const refresh = (): void => tray.update(model());
  const tray = new AppTray(electron, parts.assetsDir, {
    onAction: (action, incidentKey) => {
      switch (action) {
        case 'open':
          window.show();
          break;
        case 'incident':
          window.show({ route: 'overview', ...(incidentKey ? { incidentKey } : {}) });
          break;
        case 'scan':
          window.show({ route: 'scan' });
          client.invoke('scan:start', []).catch((e: unknown) => console.error(`deep scan: ${(e as Error).message}`));
          break;
        case 'pause':
        case 'resume':
          client
            .invoke('engine:setPaused', [action === 'pause' ? Date.now() + PAUSE_MS : null])
            .then((s) => {
              state.status = s;
              refresh();
            })
            .catch((e: unknown) => console.error(`${action}: ${(e as Error).message}`));
          break;
        case 'resume-process': {
          // The identity the process had when it was paused: the engine resumes it only if it still matches.
          const p = state.status?.paused.find((x) => processKey(x) === incidentKey);
          if (!p) break;
          client
            .invoke('process:resume', [{ pid: p.pid, startTimeMs: p.startTimeMs, exe: p.exe }])
            .then((r) => {
              if (!r.ok) {
                console.error(`resume ${p.name} (pid ${p.pid}): ${r.reason}`);
                // Say it where the user looks: the window shows the engine's answer in its paused list.
                window.show({ route: 'overview' });
              }
              return client.invoke('engine:status', []);
            })
            .then((s) => {
              state.status = s;
              refresh();
            })
            .catch((e: unknown) => console.error(`resume: ${(e as Error).message}`));
          break;
        }
        case 'quit':
          electron.app.quit();
          break;
      }
    },
    onLaunchAtLogin: (checked) => {
      client
        .invoke('settings:set', [{ launchAtLogin: checked }])
        .then((s) => {
          state.settings = s;
          parts.launchAtLogin(s.launchAtLogin);
        })
        .catch((e: unknown) => console.error(`launch at login: ${(e as Error).message}`))
        .finally(refresh);
    },
  });
  refresh();
  const timer = setInterval(refresh, REFRESH_MS);
  timer.unref();
  return {
    refresh,
    state: () => (tray.native ? model().state : null),
    destroy: () => {
      clearInterval(timer);
      tray.destroy();
    },
  };
}

export class AppTray<Image extends ShellImage, Menu> {
  private tray: ShellTray<Image, Menu> | null = null;
  private last = '';
  private lastIcon = '';

  constructor(
    private readonly electron: TrayApi<Image, Menu>,
    private readonly assetsDir: string,
    private readonly handlers: TrayHandlers,
  ) {}

  get native(): ShellTray<Image, Menu> | null {
    return this.tray;
  }

  update(model: TrayModel): void {
    const key = JSON.stringify(model);
    if (this.tray && key === this.last) return;
    const image = this.electron.nativeImage.createFromPath(join(this.assetsDir, model.iconFile));
    if (model.iconFile.includes('Template')) image.setTemplateImage(true);
    if (!this.tray) {
      this.tray = new this.electron.Tray(image);
      // Windows and macOS: a click opens the window (Linux shows the menu).
      this.tray.on('click', () => this.handlers.onAction('open'));
    } else if (this.lastIcon !== model.iconFile) {
      this.tray.setImage(image);
    }
    this.lastIcon = model.iconFile;
    this.tray.setToolTip(model.tooltip);
    if (process.platform === 'darwin') this.tray.setTitle(model.title);
    this.tray.setContextMenu(this.electron.Menu.buildFromTemplate(model.menu.map((i) => this.item(i))));
    this.last = key;
  }

  destroy(): void {
    this.tray?.destroy();
    this.tray = null;
  }

  private item(i: TrayMenuItem): ShellMenuItemOptions {
    switch (i.type) {
      case 'label':
        return { label: i.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'checkbox':
        return {
          label: i.label,
          type: 'checkbox',
          checked: i.checked,
          click: (item) => this.handlers.onLaunchAtLogin(item.checked),
        };
      case 'action':
        return { label: i.label, click: () => this.handlers.onAction(i.action, i.incidentKey ?? i.processKey) };
    }
  }
}
