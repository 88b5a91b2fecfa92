import { FreedesktopScreenSaverSource } from './freedesktop-screensaver.js';
import { GnomeMutterIdleSource } from './gnome-mutter.js';
import type { IdleSource, InhibitorSource } from './idle-types.js';
import { IdleInhibitorSource } from './inhibitors.js';
import { LogindIdleSource } from './logind.js';
import { X11IdleSource } from './x11-xprintidle.js';

/** An ordered source list that also says why it is empty (IdleMonitor shows that in its status). */
export type IdleSourceList = IdleSource[] & { reason: string | null };

/**
 * The idle sources worth trying on a platform, best first. On Linux: GNOME's compositor (the
 * only exact source on GNOME Wayland), KDE's screen saver service, X11 (exact on any X11
 * session), then logind's hint (coarse, but present almost everywhere). Off Linux the list is
 * empty for now, with the reason attached.
 */
export function defaultIdleSources(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): IdleSourceList {
  if (platform !== 'linux') {
    return Object.assign([] as IdleSource[], {
      reason: `no built-in idle source for ${platform} yet (only Linux desktop sources exist so far)`,
    });
  }
  const sources: IdleSource[] = [
    new GnomeMutterIdleSource({ env }),
    new FreedesktopScreenSaverSource({ env }),
    new X11IdleSource({ env }),
    new LogindIdleSource({ env }),
  ];
  return Object.assign(sources, { reason: null });
}

/** Where idle inhibitors are listed on a platform, or null where none is known. */
export function defaultInhibitorSource(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv = process.env,
): InhibitorSource | null {
  return platform === 'linux' ? new IdleInhibitorSource({ env }) : null;
}
