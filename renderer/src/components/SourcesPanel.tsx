import type { SourceStatus } from '../../../shared/engine-types.js';

const HEALTH_TEXT = { ok: 'working', degraded: 'degraded', unavailable: 'unavailable' } as const;

/** Every data source with its health (in words, not only a colour) and why. */
export function SourcesPanel({ sources }: { sources: readonly SourceStatus[] }) {
  return (
    <section className="panel" aria-labelledby="sources-heading">
      <h2 id="sources-heading">Sources</h2>
      {sources.length === 0 ? (
        <p className="empty">The engine has not reported its sources yet.</p>
      ) : (
        <ul className="sources" data-testid="sources">
          {sources.map((s) => (
            <li key={s.id} className={`source source-${s.health}`} data-source={s.id}>
              <span className="dot" aria-hidden="true" />
              <span className="source-label">{s.label}</span>
              <span className="source-health">{HEALTH_TEXT[s.health]}</span>
              <span className="source-detail">{s.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
