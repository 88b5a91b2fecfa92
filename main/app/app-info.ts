/** Identity shared by the shell and the packaging config (a test checks electron-builder.yml agrees). */
export const APP_ID = 'org.idlewatch.app';
export const PRODUCT_NAME = 'Idlewatch';
