import { type FocusEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { dismissToast, holdToasts, type Toast, useToasts } from '../stores/toasts.js';

/** Moves focus to the newest toast and back; announced on the region for assistive technology. */
export const TOASTS_KEY = 'F8';

function ToastItem({ t, onDismiss }: { t: Toast; onDismiss: (id: number) => void }) {
  const textId = `toast-${t.id}-text`;
  return (
    <li className={`toast toast-${t.kind}`} data-toast-id={t.id}>
      <span id={textId}>{t.text}</span>
      <button
        type="button"
        className="icon"
        aria-label="Dismiss"
        aria-describedby={textId}
        onClick={() => onDismiss(t.id)}
      >
        ×
      </button>
    </li>
  );
}

/** The list inside a live region: only present with items, so each list is a real list of toasts. */
function ToastList({ toasts, onDismiss }: { toasts: Toast[]; onDismiss: (id: number) => void }) {
  if (toasts.length === 0) return null;
  return (
    <ul className="toast-list">
      {toasts.map((t) => (
        <ToastItem key={t.id} t={t} onDismiss={onDismiss} />
      ))}
    </ul>
  );
}

/** Focus back where it was before the toasts (or nowhere, when that element is gone). */
function goBack(returnTo: { current: HTMLElement | null }): void {
  const target = returnTo.current;
  returnTo.current = null;
  if (target?.isConnected) target.focus();
  else if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
}

const dismissButtons = (region: HTMLElement) => [...region.querySelectorAll<HTMLElement>('li[data-toast-id] > button')];

/**
 * Results of actions: successes in a polite status region, refusals and errors in an alert region,
 * both always present so that a new toast is announced; the focus stays where the user is. F8
 * takes the keyboard to the newest toast's Dismiss, and F8 or Escape brings it back; dismissing
 * moves it to the next toast, or back once none is left. While a modal dialog is open the toasts
 * are shown inside it, the rest of the page being inert.
 */
export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  const host = useToasts((s) => s.hosts.at(-1) ?? null);
  const region = useRef<HTMLElement>(null);
  /** Where the focus was before it came into the toasts. */
  const returnTo = useRef<HTMLElement | null>(null);
  const [focusInside, setFocusInside] = useState(false);
  const [pointerInside, setPointerInside] = useState(false);

  useEffect(() => holdToasts(focusInside || pointerInside), [focusInside, pointerInside]);
  useEffect(() => () => holdToasts(false), []);

  const dismiss = (id: number) => {
    const el = region.current;
    if (el?.contains(document.activeElement)) {
      const buttons = dismissButtons(el);
      const i = buttons.findIndex((b) => b.closest('li')?.dataset.toastId === String(id));
      const next = buttons[i + 1] ?? buttons[i - 1];
      // Before the removal: a focused element that disappears leaves the focus nowhere.
      if (next) next.focus();
      else goBack(returnTo);
    }
    dismissToast(id);
  };

  // A toast pushed out by newer ones while focused: the focus would be lost with it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: checked whenever the toasts change
  useEffect(() => {
    if (focusInside && !region.current?.contains(document.activeElement)) {
      setFocusInside(false);
      goBack(returnTo);
    }
  }, [toasts]);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key !== TOASTS_KEY || e.defaultPrevented) return;
      const el = region.current;
      if (!el) return;
      e.preventDefault();
      if (el.contains(document.activeElement)) {
        goBack(returnTo);
        return;
      }
      const newest = useToasts.getState().toasts.reduce<Toast | null>((a, t) => (a && a.id > t.id ? a : t), null);
      const button = newest ? el.querySelector<HTMLElement>(`li[data-toast-id="${newest.id}"] > button`) : null;
      if (!button) return;
      returnTo.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      button.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const onFocus = (e: FocusEvent<HTMLElement>) => {
    setFocusInside(true);
    const from = e.relatedTarget;
    if (from instanceof HTMLElement && !e.currentTarget.contains(from)) returnTo.current = from;
  };
  const onBlur = (e: FocusEvent<HTMLElement>) => {
    if (!(e.relatedTarget instanceof Node && e.currentTarget.contains(e.relatedTarget))) setFocusInside(false);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key !== 'Escape') return;
    // Back to where the user was; a dialog around the toasts stays open.
    e.preventDefault();
    e.stopPropagation();
    goBack(returnTo);
  };

  const content = (
    <section
      ref={region}
      className="toasts"
      data-testid="toast"
      aria-label="Notifications"
      aria-keyshortcuts={TOASTS_KEY}
      onFocus={onFocus}
      onBlur={onBlur}
      onKeyDown={onKeyDown}
      onPointerEnter={() => setPointerInside(true)}
      onPointerLeave={() => setPointerInside(false)}
    >
      <div role="status" aria-atomic="false">
        <ToastList toasts={toasts.filter((t) => t.kind === 'ok')} onDismiss={dismiss} />
      </div>
      <div role="alert" aria-atomic="false">
        <ToastList toasts={toasts.filter((t) => t.kind === 'error')} onDismiss={dismiss} />
      </div>
    </section>
  );
  return host ? createPortal(content, host) : content;
}
