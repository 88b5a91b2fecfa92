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
