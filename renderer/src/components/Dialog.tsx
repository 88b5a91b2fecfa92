import { type KeyboardEvent, type ReactNode, useEffect, useRef } from 'react';
import { addToastHost, removeToastHost } from '../stores/toasts.js';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Keeps Tab and Shift+Tab cycling inside the dialog (the native modal lets focus leave to the browser UI). */
function trapTab(e: KeyboardEvent<HTMLDialogElement>): void {
  if (e.key !== 'Tab') return;
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !e.currentTarget.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !e.currentTarget.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * A modal dialog on the native <dialog> element: the page behind is inert (focus stays inside),
 * Escape closes it, and focus returns to whatever opened it. The element marked data-autofocus
 * gets the focus first (the least destructive choice in confirmations). While it is open the
 * toasts are shown inside it, where they are announced and reachable.
 */
export function Dialog({
  label,
  onClose,
  children,
  className,
  testId,
}: {
  label: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const toastHost = useRef<HTMLDivElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  useEffect(() => {
    const el = toastHost.current;
    if (!el) return;
    addToastHost(el);
    return () => removeToastHost(el);
  }, []);

  return (
    <dialog
      ref={ref}
      aria-label={label}
      className={className ?? 'dialog'}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onCloseRef.current();
      }}
      onClose={() => onCloseRef.current()}
      onKeyDown={trapTab}
    >
      {children}
      <div ref={toastHost} />
    </dialog>
  );
}
