import type { Availability } from './collector.js';

/** What one idle source reads. `locked` is undefined when the source cannot tell. */
export interface IdleRead {
  idleSec: number | null;
  locked?: boolean;
}

/** A way of learning how long the user has been away (X11, a D-Bus idle monitor, logind, Electron). */
export interface IdleSource {
  readonly id: string;
  readonly label: string;
  /** Never throws. When not ok, `reason` says why ("no X display", "Wayland: idle time not exposed"). */
  available(): Promise<Availability>;
  /** Throws on failure; the idle monitor turns failures into `unknown` and reports them. */
  read(): Promise<IdleRead>;
  /** Optional: releases long-lived resources. */
  close?(): Promise<void>;
}

/** Applications holding a screen-saver / idle inhibitor (video players, presentations). */
export interface InhibitorSource {
  readonly id: string;
  available(): Promise<Availability>;
  read(): Promise<string[]>;
  /** Optional: releases long-lived resources. */
  close?(): Promise<void>;
}

/** The foreground window, as far as a fullscreen source can tell. */
export interface FullscreenRead {
  /** Whether the active window covers the screen as a fullscreen window. */
  fullscreen: boolean;
  /** The window system's id of the active window ("0x2a00007", a HWND), null when none is active. */
  window: string | null;
  /** The process the window claims to belong to (_NET_WM_PID, the HWND's owner), null when unknown. */
  pid: number | null;
  /** What the window calls itself (WM_CLASS, the program name), bounded; null when unknown. */
  app: string | null;
}

/**
 * Whether a fullscreen application has the screen (a game). Gamepad players touch no keyboard or
 * mouse, so without this their own game looks like "GPU while you were away".
 */
export interface FullscreenSource {
  readonly id: string;
  readonly label: string;
  /** Never throws; `reason` says why not ("Wayland: the compositor does not tell other programs"). */
  available(): Promise<Availability>;
  /** Throws on failure. */
  read(): Promise<FullscreenRead>;
  close?(): Promise<void>;
}

/**
 * Input the idle sources do not count (a gamepad): seconds since the last such input at `nowMs`,
 * or null when none has been seen.
 */
export interface InputActivitySource {
  readonly id: string;
  readonly label: string;
  available(): Promise<Availability>;
  /** Throws on failure. */
  read(nowMs: number): Promise<number | null>;
  close?(): Promise<void>;
}
