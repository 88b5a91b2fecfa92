/** Short results of actions: success in a polite status region, refusals and errors in an alert region. */
import { create } from 'zustand';

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

export const useToasts = create<{ toasts: Toast[] }>(() => ({ toasts: [] }));

let nextId = 1;
const MAX_TOASTS = 5;

export function dismissToast(id: number): void {
  useToasts.setState((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
}

export function toast(kind: Toast['kind'], text: string): void {
  const id = nextId++;
  useToasts.setState((s) => ({ toasts: [...s.toasts, { id, kind, text }].slice(-MAX_TOASTS) }));
  setTimeout(() => dismissToast(id), kind === 'ok' ? 8000 : 20_000);
}
