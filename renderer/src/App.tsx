import type { EngineProc, EngineSample, SourceStatus } from '../../shared/engine-types.js';
import { duration, pct } from './format.js';
import { useLive } from './store.js';

const MAX_ROWS = 60;

function UserBanner({ sample, sources }: { sample: EngineSample; sources: SourceStatus[] }) {
  const u = sample.user;
  if (u.state === 'unknown') {
    const idle = sources.find((s) => s.id.startsWith('idle'));
    return (
      <div className="banner banner-warn" data-testid="user-state">
        Idle detection unavailable{idle ? `: ${idle.detail}` : ''}. Idlewatch cannot tell whether you are away, so it
        does not guess.
      </div>
    );
  }
  const text =
    u.state === 'active'
      ? 'You are at the machine'
      : u.state === 'locked'
        ? `Screen locked${u.idleSec !== null ? `, away for ${duration(u.idleSec)}` : ''}`
        : `You are away: no input for ${duration(u.idleSec)}`;
  return (
    <div className={`banner banner-${u.state}`} data-testid="user-state">
      {text}
      {u.source ? <span className="muted"> · via {u.source}</span> : null}
      {u.inhibitors && u.inhibitors.length > 0 ? (
        <span className="muted"> · idle inhibited by {u.inhibitors.join(', ')}</span>
      ) : null}
    </div>
  );
}

function Sources({ sources }: { sources: SourceStatus[] }) {
  return (
    <section className="panel">
      <h2>Sources</h2>
      <ul className="sources" data-testid="sources">
        {sources.map((s) => (
          <li key={s.id} className={`source source-${s.health}`} data-source={s.id}>
            <span className="dot" aria-hidden="true" />
            <span className="source-label">{s.label}</span>
            <span className="source-detail">{s.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Meters({ sample, sources }: { sample: EngineSample; sources: SourceStatus[] }) {
  const gpuSources = sources.filter((s) => s.id.startsWith('gpu.'));
  return (
    <section className="meters">
      <div className="meter" data-testid="cpu-meter">
        <div className="meter-label">CPU ({sample.system.cores} cores)</div>
        <div className="meter-value">{pct(sample.system.cpu)}</div>
      </div>
      {sample.gpus.map((g) => (
        <div className="meter" key={g.id} data-testid="gpu-meter">
          <div className="meter-label">
            GPU {g.id} · {g.name}
          </div>
          <div className="meter-value">{pct(g.util)}</div>
          <div className="meter-sub">
            {g.memUsedMiB !== null
              ? `${g.memUsedMiB}${g.memoryMiB ? ` / ${g.memoryMiB}` : ''} MiB`
              : 'memory not reported'}
          </div>
        </div>
      ))}
      {sample.gpus.length === 0 ? (
        <div className="meter meter-empty" data-testid="gpu-unavailable">
          <div className="meter-label">GPU monitoring unavailable</div>
          <div className="meter-sub">
            {gpuSources
              .filter((s) => s.health !== 'ok')
              .map((s) => `${s.label}: ${s.detail}`)
              .join(' · ') || 'No GPU source reported a device.'}
          </div>
        </div>
      ) : null}
    </section>
  );
}

function busiest(procs: EngineProc[]): EngineProc[] {
  return procs
    .filter((p) => p.cpu > 0 || (p.gpu ?? 0) > 0 || (p.gpuMemMiB ?? 0) > 0)
    .sort((a, b) => (b.gpu ?? 0) - (a.gpu ?? 0) || b.cpu - a.cpu)
    .slice(0, MAX_ROWS);
}

function Processes({ sample }: { sample: EngineSample }) {
  const rows = busiest(sample.procs);
  return (
    <section className="panel">
      <h2>
        Busy processes <span className="muted">({sample.procs.length} running</span>
        <span className="muted">{sample.unreadable > 0 ? `, ${sample.unreadable} could not be read` : ''})</span>
      </h2>
      {rows.length === 0 ? (
        <p className="empty">No process used the CPU or GPU in the last interval.</p>
      ) : (
        <table className="procs" data-testid="procs">
          <thead>
            <tr>
              <th>PID</th>
              <th>Name</th>
              <th>User</th>
              <th className="num">GPU</th>
              <th className="num">GPU mem</th>
              <th className="num">CPU</th>
              <th>Executable</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={`${p.pid}@${p.startTimeMs}`} data-pid={p.pid}>
                <td>{p.pid}</td>
                <td className="name">{p.name}</td>
                <td>{p.user ?? '?'}</td>
                <td className="num">{pct(p.gpu)}</td>
                <td className="num">{p.gpuMemMiB !== null ? `${p.gpuMemMiB} MiB` : '—'}</td>
                <td className="num">{pct(p.cpu)}</td>
                <td className="path" title={p.cmdline}>
                  {p.exe ?? (p.cmdline === '' ? '(kernel thread)' : '(not readable)')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function App() {
  const { status, error, latest, sources } = useLive();
  return (
    <main className="app">
      <header className="top">
        <h1>Idlewatch</h1>
        <span className={`live live-${status}`}>{status === 'live' ? 'watching' : status}</span>
      </header>
      {status === 'error' ? (
        <div className="banner banner-warn" role="alert">
          {error}
        </div>
      ) : null}
      {!latest ? (
        status === 'error' ? null : (
          <p className="loading" data-testid="loading">
            Taking the first sample…
          </p>
        )
      ) : (
        <>
          <UserBanner sample={latest} sources={sources} />
          <Meters sample={latest} sources={sources} />
          <Processes sample={latest} />
        </>
      )}
      {sources.length > 0 ? <Sources sources={sources} /> : null}
    </main>
  );
}
