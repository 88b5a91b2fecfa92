/**
 * Short results of actions: success in a polite status region, refusals and errors in an alert
 * region. Each goes away by itself, except while the user is in the toasts (focus or pointer): a
 * toast must not vanish under someone reading it or about to dismiss it.
 */
import { create } from 'zustand';

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

export interface ToastsState {
  toasts: Toast[];
  /**
   * Where the toasts are shown while modal dialogs are open, topmost last: the page behind a modal
   * dialog is inert, so a toast left there would be neither announced nor reachable.
   */
  hosts: HTMLElement[];
}

export const useToasts = create<ToastsState>(() => ({ toasts: [], hosts: [] }));

const MAX_TOASTS = 5;
export const TOAST_LIFETIME_MS: Record<Toast['kind'], number> = { ok: 8000, error: 20_000 };
/** Once released, a toast whose time ran out while held still stays this long. */
export const TOAST_GRACE_MS = 3000;

interface Countdown {
  handle: ReturnType<typeof setTimeout> | null;
  remainingMs: number;
  startedAt: number;
}

const countdowns = new Map<number, Countdown>();
let nextId = 1;
let held = false;

function start(id: number, c: Countdown): void {
  c.startedAt = Date.now();
  c.handle = setTimeout(() => dismissToast(id), c.remainingMs);
}

function stop(c: Countdown): void {
  if (c.handle === null) return;
  clearTimeout(c.handle);
  c.handle = null;
  c.remainingMs -= Date.now() - c.startedAt;
}

export function dismissToast(id: number): void {
  const c = countdowns.get(id);
  if (c) stop(c);
  countdowns.delete(id);
  useToasts.setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}

export function toast(kind: Toast['kind'], text: string): void {
  const id = nextId++;
  const all = [...useToasts.getState().toasts, { id, kind, text }];
  for (const dropped of all.slice(0, -MAX_TOASTS)) dismissToast(dropped.id);
  useToasts.setState({ toasts: all.slice(-MAX_TOASTS) });
  const c: Countdown = { handle: null, remainingMs: TOAST_LIFETIME_MS[kind], startedAt: 0 };
  countdowns.set(id, c);
  if (!held) start(id, c);
}

/** Stops every toast's countdown while `hold`; on release each gets its time left, at least the grace. */
export function holdToasts(hold: boolean): void {
  if (hold === held) return;
  held = hold;
  for (const [id, c] of countdowns) {
    if (hold) stop(c);
    else {
      c.remainingMs = Math.max(c.remainingMs, TOAST_GRACE_MS);
      start(id, c);
    }
  }
}

export function addToastHost(el: HTMLElement): void {
  useToasts.setState((s) => ({ hosts: [...s.hosts, el] }));
}

export function removeToastHost(el: HTMLElement): void {
  useToasts.setState((s) => ({ hosts: s.hosts.filter((h) => h !== el) }));
}
