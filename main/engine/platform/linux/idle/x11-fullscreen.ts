/**
 * Whether the active X11 window is fullscreen, from the EWMH hints a window manager keeps: the
 * root window's _NET_ACTIVE_WINDOW names the focused client window, and that window's
 * _NET_WM_STATE lists _NET_WM_STATE_FULLSCREEN while it covers the screen. Two GetProperty round
 * trips on a held connection per read; the window's pid and class are read once per window.
 *
 * The hints are set by the window manager and by clients themselves, so they are claims: what the
 * engine concludes from them (the user counts as present) is decided in idle/presence.ts, which
 * only believes a fullscreen window that appeared while the user was at the machine.
 */
import type { Availability } from '../../collector.js';
import type { FullscreenRead, FullscreenSource } from '../../idle.js';
import type { X11Connection } from './x11-connection.js';
import { getProperty, internAtom, longs, XA } from './x11-props.js';
import { X11Link } from './x11-native.js';

export interface X11FullscreenOptions {
  /** Default: DISPLAY from `env`. */
  display?: string;
  /** DISPLAY, XAUTHORITY, HOME, XDG_SESSION_TYPE. */
  env?: NodeJS.ProcessEnv;
  /** Connect and per-request limit. Default 2000 ms. */
  timeoutMs?: number;
}

interface Atoms {
  conn: X11Connection;
  active: number;
  state: number;
  fullscreen: number;
  pid: number;
}

/** WM_CLASS is two short strings; more than this is not a class name. */
const MAX_CLASS_LONGS = 32;
const MAX_STATE_ATOMS = 32;
const NOT_FULLSCREEN: FullscreenRead = Object.freeze({ fullscreen: false, window: null, pid: null, app: null });

export class X11FullscreenSource implements FullscreenSource {
  readonly id = 'fullscreen.x11';
  readonly label = 'Fullscreen window (X11 _NET_WM_STATE)';
  private readonly env: NodeJS.ProcessEnv;
  private readonly display: string | undefined;
  private readonly timeoutMs: number;
  private readonly link: X11Link | null;
  private atoms: Atoms | null = null;
  /** pid and class of the last fullscreen window, so a game that stays fullscreen costs one read. */
  private known: { window: number; pid: number | null; app: string | null } | null = null;

  constructor(opts: X11FullscreenOptions = {}) {
    this.env = opts.env ?? process.env;
    this.display = opts.display ?? this.env.DISPLAY;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.link = this.display ? new X11Link({ display: this.display, env: this.env, timeoutMs: this.timeoutMs }) : null;
  }

  async available(): Promise<Availability> {
    if (this.env.XDG_SESSION_TYPE === 'wayland') {
      return {
        ok: false,
        reason: 'Wayland session: the compositor does not tell other programs which window is fullscreen',
      };
    }
    if (!this.link) return { ok: false, reason: 'no X display (DISPLAY is not set)' };
    try {
      const conn = await this.link.connection();
      const atoms = await this.atomsFor(conn);
      const active = await getProperty(conn, conn.rootWindow, atoms.active, 0, 1, this.timeoutMs);
      if (!active) {
        return {
          ok: false,
          reason: `no window manager on ${this.display} publishes the active window (_NET_ACTIVE_WINDOW)`,
        };
      }
      return { ok: true, detail: `the active window's _NET_WM_STATE on ${this.display}` };
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  async read(): Promise<FullscreenRead> {
    if (!this.link) throw new Error('no X display (DISPLAY is not set)');
    const conn = await this.link.connection();
    const atoms = await this.atomsFor(conn);
    const window = longs(await getProperty(conn, conn.rootWindow, atoms.active, 0, 1, this.timeoutMs))[0] ?? 0;
    if (window === 0) return NOT_FULLSCREEN;
    let states: number[];
    try {
      states = longs(await getProperty(conn, window, atoms.state, 0, MAX_STATE_ATOMS, this.timeoutMs));
    } catch (e) {
      // The window closed between the two reads: nothing is fullscreen now.
      if (e instanceof Error && e.message.includes('BadWindow')) return NOT_FULLSCREEN;
      throw e;
    }
    const id = `0x${window.toString(16)}`;
    if (!states.includes(atoms.fullscreen)) return { fullscreen: false, window: id, pid: null, app: null };
    if (this.known?.window !== window) this.known = { window, ...(await this.owner(conn, window, atoms)) };
    return { fullscreen: true, window: id, pid: this.known.pid, app: this.known.app };
  }

  async close(): Promise<void> {
    this.link?.close();
    this.atoms = null;
    this.known = null;
  }

  /** Atoms are per server: a reconnect (the server restarted) interns them again. */
  private async atomsFor(conn: X11Connection): Promise<Atoms> {
    if (this.atoms?.conn === conn) return this.atoms;
    const t = this.timeoutMs;
    const [active, state, fullscreen, pid] = await Promise.all([
      internAtom(conn, '_NET_ACTIVE_WINDOW', false, t),
      internAtom(conn, '_NET_WM_STATE', false, t),
      internAtom(conn, '_NET_WM_STATE_FULLSCREEN', false, t),
      internAtom(conn, '_NET_WM_PID', false, t),
    ]);
    this.atoms = { conn, active, state, fullscreen, pid };
    this.known = null;
    return this.atoms;
  }

  private async owner(
    conn: X11Connection,
    window: number,
    atoms: Atoms,
  ): Promise<{ pid: number | null; app: string | null }> {
    const t = this.timeoutMs;
    const [pidProp, classProp] = await Promise.all([
      getProperty(conn, window, atoms.pid, XA.CARDINAL, 1, t).catch(() => null),
      getProperty(conn, window, XA.WM_CLASS, XA.STRING, MAX_CLASS_LONGS, t).catch(() => null),
    ]);
    const pid = longs(pidProp)[0];
    return { pid: pid && pid > 0 ? pid : null, app: wmClass(classProp?.data ?? null) };
  }
}

/** WM_CLASS is "instance\0Class\0": the class names the program ("Steam", "csgo_linux64"). */
export function wmClass(data: Buffer | null): string | null {
  if (!data || data.length === 0) return null;
  const parts = data
    .toString('latin1')
    .split('\0')
    // A window's class is the client's own text: printable only, and short.
    .map((s) => s.replace(/[^\x20-\x7e]/g, '').slice(0, 64))
    .filter((s) => s.length > 0);
  return parts[1] ?? parts[0] ?? null;
}
