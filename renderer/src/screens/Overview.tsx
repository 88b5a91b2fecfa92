import { LiveCharts } from '../charts/LiveCharts.js';
import { AwayTable } from '../components/AwayTable.js';
import { BusyTable } from '../components/BusyTable.js';
import { Meters } from '../components/Meters.js';
import { PausedPanel } from '../components/PausedPanel.js';
import { SourcesPanel } from '../components/SourcesPanel.js';
import { StatusBanner } from '../components/StatusBanner.js';
import { UserState } from '../components/UserState.js';
import { useLive } from '../stores/live.js';

/** Status, the user's idle state, live charts, what ran while the user was away, what is busy now, sources. */
export function Overview() {
  const latest = useLive((s) => s.latest);
  const sources = useLive((s) => s.sources);
  const phase = useLive((s) => s.phase);
  return (
    <div className="screen" data-testid="overview-page">
      <h2 className="screen-title">Overview</h2>
      <StatusBanner />
      {latest ? (
        <>
          <UserState sample={latest} sources={sources} />
          <Meters sample={latest} sources={sources} />
        </>
      ) : phase === 'error' ? null : (
        <p className="loading" data-testid="loading">
          Taking the first sample…
        </p>
      )}
      <PausedPanel />
      <LiveCharts />
      <AwayTable />
      <BusyTable />
      <SourcesPanel sources={sources} />
    </div>
  );
}
