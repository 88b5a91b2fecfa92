import { useEffect, useState } from 'react';
import type { HostsBlockChange, HostsBlockView } from '../../../shared/settings.js';
import { api } from '../api.js';

const STATE_LABEL: Record<HostsBlockView['state'], string> = {
  on: 'On',
  off: 'Off',
  altered: 'Changed by something else',
  removed: 'Removed by something else',
  broken: 'Cannot be read',
};

/**
 * The block of mining domains in the hosts file: its state as the engine reads it, and one button
 * that turns it on or off. The engine asks for administrator rights (the system's own prompt);
 * this only waits for the answer and shows it, a refusal included.
 */
export function HostsBlockSetting() {
  const [view, setView] = useState<HostsBlockView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<HostsBlockChange | null>(null);

  useEffect(() => {
    // Through a promise, so an engine without this channel is an error shown here, not a crash.
    Promise.resolve()
      .then(() => api().getHostsBlock())
      .then(setView, (e: unknown) => setError((e as Error).message));
  }, []);

  const change = (on: boolean): void => {
    setBusy(true);
    setResult(null);
    Promise.resolve()
      .then(() => api().setHostsBlock(on))
      .then(
        (r) => {
          setResult(r);
          setView(r.status);
        },
        (e: unknown) => setError((e as Error).message),
      )
      .finally(() => setBusy(false));
  };

  const on = view?.state === 'on';
  const wantOn = !on || (view !== null && !view.upToDate);
  return (
    <section className="settings-form" aria-labelledby="hosts-block-heading" data-testid="hosts-block">
      <h3 id="hosts-block-heading">Block mining domains</h3>
      <p className="hint">
        Sends the mining-pool and in-browser mining domains to nowhere in the system hosts file, so programs and
        browsers that use it cannot reach them. Lines of your own are never changed; turning it off puts the file back
        as it was. Browsers with DNS over HTTPS on do not read the hosts file (see the prevention guide).
      </p>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {view ? (
        <>
          <p data-testid="hosts-block-state">
            <strong>{STATE_LABEL[view.state]}</strong>
            {view.state === 'on' ? ` · ${view.blocked} names blocked` : ''} · <code>{view.hostsPath}</code>
          </p>
          {view.state !== 'on' && view.state !== 'off' ? <p className="hint">{view.message}</p> : null}
          <p className="hint" data-testid="hosts-block-writer">
            {view.writer.ok
              ? `To change it, Idlewatch ${view.writer.how}.`
              : `It cannot be changed from here: ${view.writer.how}.`}
          </p>
          {view.state === 'on' && !view.upToDate ? (
            <p className="hint">The list has changed since the block was written: turn it on again to update it.</p>
          ) : null}
          <div className="form-buttons">
            {wantOn ? (
              <button
                type="button"
                className="primary"
                disabled={busy || view.state === 'broken' || !view.writer.ok}
                onClick={() => change(true)}
              >
                {view.state === 'off' ? 'Turn on' : view.state === 'on' ? 'Update the block' : 'Write the block again'}
              </button>
            ) : null}
            {view.state !== 'off' && view.state !== 'removed' ? (
              <button
                type="button"
                disabled={busy || view.state === 'broken' || !view.writer.ok}
                onClick={() => change(false)}
              >
                Turn off
              </button>
            ) : null}
            <span role="status" className="done" data-testid="hosts-block-status">
              {busy ? 'Waiting for administrator rights…' : result?.ok ? result.message : ''}
            </span>
          </div>
          {result && !result.ok ? (
            <p role="alert" className="error" data-testid="hosts-block-error">
              {result.message}
            </p>
          ) : null}
        </>
      ) : error ? null : (
        <p className="loading">Reading the hosts file…</p>
      )}
    </section>
  );
}
