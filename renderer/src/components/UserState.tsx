import type { SampleSummary, SourceStatus } from '../../../shared/engine-types.js';
import { duration } from '../lib/format.js';

/** Whether the user is at the machine, and which idle source says so. */
export function UserState({ sample, sources }: { sample: SampleSummary; sources: readonly SourceStatus[] }) {
  const u = sample.user;
  if (u.state === 'unknown') {
    const idle = sources.filter((s) => s.id.startsWith('idle'));
    const reason = idle.map((s) => s.detail).join('; ');
    return (
      <div className="banner banner-warn" data-testid="user-state" data-state="unknown">
        Idle detection unavailable{reason ? `: ${reason}` : ''}. Idlewatch cannot tell whether you are away, so it does
        not guess.
      </div>
    );
  }
  const text =
    u.state === 'active'
      ? 'You are at the machine'
      : u.state === 'locked'
        ? `Screen locked${u.idleSec !== null ? `, away for ${duration(u.idleSec)}` : ''}`
        : `You are away: no input for ${duration(u.idleSec)}`;
  const source = u.source ? (sources.find((s) => s.id === u.source)?.label ?? u.source) : null;
  return (
    <div className={`banner banner-${u.state}`} data-testid="user-state" data-state={u.state}>
      {text}
      {source ? <span className="muted"> · idle source: {source}</span> : null}
      {u.inhibitors && u.inhibitors.length > 0 ? (
        <span className="muted"> · idle inhibited by {u.inhibitors.join(', ')}</span>
      ) : null}
    </div>
  );
}
