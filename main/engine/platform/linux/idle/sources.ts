import { NativeDbusClient } from './dbus-client.js';
import { FreedesktopScreenSaverSource } from './freedesktop-screensaver.js';
import { GnomeMutterIdleSource } from './gnome-mutter.js';
import type { IdleSource, InhibitorSource } from '../../idle.js';
import { IdleInhibitorSource } from './inhibitors.js';
import { LogindIdleSource } from './logind.js';
import { X11IdleSource } from './x11-xprintidle.js';

/**
 * The Linux desktop's idle sources, best first: GNOME's compositor (the only exact source on GNOME
 * Wayland), KDE's screen saver service, X11 (exact on any X11 session), then logind's hint (coarse,
 * but present almost everywhere). The D-Bus sources share one native client, so the session and
 * system buses are each held over one connection however many sources ask.
 */
export function linuxIdleSources(env: NodeJS.ProcessEnv = process.env): IdleSource[] {
  const native = nativeDbusFor(env);
  return [
    new GnomeMutterIdleSource({ env, native }),
    new FreedesktopScreenSaverSource({ env, native }),
    new X11IdleSource({ env }),
    new LogindIdleSource({ env, native }),
  ];
}

/** Applications holding an idle inhibitor, as the session bus lists them. */
export function linuxInhibitorSource(env: NodeJS.ProcessEnv = process.env): InhibitorSource {
  return new IdleInhibitorSource({ env, native: nativeDbusFor(env) });
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
