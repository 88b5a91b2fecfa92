import { statusBannerText } from '../lib/banner.js';
import { useOpenIncidents } from '../stores/incidents.js';

/** "All quiet", or how many processes used the GPU/CPU while the user was away. */
export function StatusBanner() {
  const list = useOpenIncidents((s) => s.list);
  const loaded = useOpenIncidents((s) => s.loaded);
  const text = loaded ? statusBannerText(list) : 'Checking incidents…';
  const quiet = text === 'All quiet';
  return (
    <div
      className={`status-banner ${quiet ? 'status-quiet' : loaded ? 'status-alert' : ''}`}
      role="status"
      data-testid="status-banner"
    >
      {text}
    </div>
  );
}
