// Where the shell finds what scripts/build.mjs writes and what electron-builder.yml packs.
import { join } from 'node:path';

export interface ShellPaths {
  /** The sandboxed preload (CommonJS: sandboxed preloads cannot be ES modules). */
  preload: string;
  /** The engine's utility process entry. */
  engine: string;
  /** The renderer, served over app://. */
  renderer: string;
  /** Icons for the tray and notifications. */
  assets: string;
}

/** `out`: the build output folder (out/); `appPath`: app.getAppPath(). */
export function shellPaths(out: string, appPath: string): ShellPaths {
  return {
    preload: join(out, 'preload', 'index.cjs'),
    engine: join(out, 'engine', 'index.js'),
    renderer: join(out, 'renderer'),
    // Tray icons must be real files for the OS tray: packaged, they are unpacked next to the asar.
    assets: join(appPath, 'assets').replace(/app\.asar(?=[\\/]|$)/, 'app.asar.unpacked'),
  };
}
