import type { ShellApp } from './electron-api.js';

/** Identity shared by the shell and the packaging config (a test checks electron-builder.yml agrees). */
export const APP_ID = 'org.idlewatch.app';
export const PRODUCT_NAME = 'Idlewatch';

/** Windows shows a notification only for an app whose user model id matches its shortcut's (APP_ID). */
export function setupAppId(app: Pick<ShellApp, 'setAppUserModelId'>, platform: NodeJS.Platform): void {
  if (platform === 'win32') app.setAppUserModelId(APP_ID);
}
