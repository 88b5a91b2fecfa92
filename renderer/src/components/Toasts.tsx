import { dismissToast, type Toast, useToasts } from '../stores/toasts.js';

function ToastItem({ t }: { t: Toast }) {
  return (
    <li className={`toast toast-${t.kind}`}>
      <span>{t.text}</span>
      <button type="button" className="icon" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
        ×
      </button>
    </li>
  );
}

/** Results of actions: successes in a polite status region, refusals and errors in an alert region. */
export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  const errors = toasts.filter((t) => t.kind === 'error');
  return (
    <div className="toasts" data-testid="toast">
      <ul role="status" aria-live="polite" className="toast-list">
        {toasts
          .filter((t) => t.kind === 'ok')
          .map((t) => (
            <ToastItem key={t.id} t={t} />
          ))}
      </ul>
      {errors.length > 0 ? (
        <ul role="alert" className="toast-list">
          {errors.map((t) => (
            <ToastItem key={t.id} t={t} />
          ))}
        </ul>
      ) : null}
    </div>
  );
}
