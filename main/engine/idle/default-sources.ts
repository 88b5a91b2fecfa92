import { NativeDbusClient } from './dbus-client.js';
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
 * empty, with the reason attached. The D-Bus sources share one native client, so the
 * session and system buses are each held over one connection however many sources ask.
 */
export function defaultIdleSources(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): IdleSourceList {
  if (platform !== 'linux') {
    return Object.assign([] as IdleSource[], {
      // Windows and macOS idle sources come with their platform collectors (platform/select.ts),
      // which share those collectors' helper processes; the app puts Electron's powerMonitor first.
      reason: `no desktop idle source for ${platform} besides the platform collectors' own`,
    });
  }
  const native = nativeDbusFor(env);
  const sources: IdleSource[] = [
    new GnomeMutterIdleSource({ env, native }),
    new FreedesktopScreenSaverSource({ env, native }),
    new X11IdleSource({ env }),
    new LogindIdleSource({ env, native }),
  ];
  return Object.assign(sources, { reason: null });
}

/** Where idle inhibitors are listed on a platform, or null where none is known. */
export function defaultInhibitorSource(
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv = process.env,
): InhibitorSource | null {
  return platform === 'linux' ? new IdleInhibitorSource({ env, native: nativeDbusFor(env) }) : null;
}

/**
 * One native D-Bus client per environment, shared by the idle sources and the inhibitor source
 * (the engine builds them separately). Weak keys: a client lives as long as its environment object.
 */
const clients = new WeakMap<NodeJS.ProcessEnv, NativeDbusClient>();

function nativeDbusFor(env: NodeJS.ProcessEnv): NativeDbusClient {
  let c = clients.get(env);
  if (!c) {
    c = new NativeDbusClient({ env });
    clients.set(env, c);
  }
  return c;
}
