// The tray icon: tray-model.ts decides what it shows; this file only turns the model into Tray and
// Menu calls. The menu is rebuilt whenever the model changes (Linux trays often ignore clicks and
// show the menu only, so every action is in it).
import { join } from 'node:path';
import { Menu, type MenuItemConstructorOptions, nativeImage, Tray } from 'electron';
import type { TrayAction, TrayMenuItem, TrayModel } from './tray-model.js';

export interface TrayHandlers {
  onAction(action: TrayAction, incidentKey?: string): void;
  onLaunchAtLogin(checked: boolean): void;
}

export class AppTray {
  private tray: Tray | null = null;
  private last = '';
  private lastIcon = '';

  constructor(
    private readonly assetsDir: string,
    private readonly handlers: TrayHandlers,
  ) {}

  /** The Electron Tray (the e2e smoke test looks at it). */
  get native(): Tray | null {
    return this.tray;
  }

  update(model: TrayModel): void {
    const key = JSON.stringify(model);
    if (this.tray && key === this.last) return;
    const image = nativeImage.createFromPath(join(this.assetsDir, model.iconFile));
    if (model.iconFile.includes('Template')) image.setTemplateImage(true);
    if (!this.tray) {
      this.tray = new Tray(image);
      // Windows and macOS: a click opens the window (Linux shows the menu).
      this.tray.on('click', () => this.handlers.onAction('open'));
    } else if (this.lastIcon !== model.iconFile) {
      this.tray.setImage(image);
    }
    this.lastIcon = model.iconFile;
    this.tray.setToolTip(model.tooltip);
    if (process.platform === 'darwin') this.tray.setTitle(model.title);
    this.tray.setContextMenu(Menu.buildFromTemplate(model.menu.map((i) => this.item(i))));
    this.last = key;
  }

  destroy(): void {
    this.tray?.destroy();
    this.tray = null;
  }

  private item(i: TrayMenuItem): MenuItemConstructorOptions {
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
        return { label: i.label, click: () => this.handlers.onAction(i.action, i.incidentKey) };
    }
  }
}
