import { ConfirmDialogs } from './components/ConfirmDialogs.js';
import { GlobalNotices } from './components/GlobalNotices.js';
import { Nav } from './components/Nav.js';
import { OpenCounts } from './components/OpenCounts.js';
import { ProcessDetailsDrawer } from './components/ProcessDetails.js';
import { Toasts } from './components/Toasts.js';
import { Allowlist } from './screens/Allowlist.js';
import { DeepScan } from './screens/DeepScan.js';
import { Incidents } from './screens/Incidents.js';
import { Overview } from './screens/Overview.js';
import { Quarantine } from './screens/Quarantine.js';
import { Settings } from './screens/Settings.js';
import { useLive } from './stores/live.js';
import { useUi } from './stores/ui.js';

const SCREENS = {
  overview: Overview,
  incidents: Incidents,
  scan: DeepScan,
  quarantine: Quarantine,
  allowlist: Allowlist,
  settings: Settings,
} as const;

function LiveBadge() {
  const phase = useLive((s) => s.phase);
  const text = phase === 'live' ? 'watching' : phase === 'missing' ? 'not connected' : phase;
  return <span className={`live live-${phase}`}>{text}</span>;
}

export function App() {
  const route = useUi((s) => s.route);
  const phase = useLive((s) => s.phase);
  const missingError = useLive((s) => (s.phase === 'missing' ? s.error : null));
  const Screen = SCREENS[route];
  return (
    <div className="app">
      <header className="top">
        <h1>Idlewatch</h1>
        <OpenCounts />
        <LiveBadge />
      </header>
      <div className="layout">
        <Nav />
        <main className="main">
          {phase === 'missing' ? (
            <div className="banner banner-bad" role="alert" data-testid="not-connected">
              {missingError}
            </div>
          ) : (
            <>
              <GlobalNotices />
              <Screen />
            </>
          )}
        </main>
      </div>
      <Toasts />
      <ProcessDetailsDrawer />
      <ConfirmDialogs />
    </div>
  );
}
