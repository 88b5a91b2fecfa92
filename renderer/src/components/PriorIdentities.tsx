import type { PriorIdentity } from '../../../shared/detection.js';
import { clock, dateTime } from '../lib/format.js';

/** What the shortest useful line says of an earlier program: its command, else its name. */
function shown(w: PriorIdentity): string {
  const text = w.cmdline || w.name;
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/**
 * The programs a process was before it replaced itself (exec), so the user sees how the miner was
 * launched: "was `bash update-check.sh` until 21:04". Text only: these strings are the process's
 * own words (React escapes them).
 */
export function PriorIdentities({
  was,
  compact = false,
}: {
  was: readonly PriorIdentity[] | undefined;
  compact?: boolean;
}) {
  if (!was || was.length === 0) return null;
  if (compact) {
    const first = was[0]!;
    return (
      <div className="muted was">
        was <code>{shown(first)}</code> until{' '}
        <time dateTime={new Date(first.until).toISOString()}>{clock(first.until)}</time>
        {was.length > 1 ? ` (and ${was.length - 1} more)` : ''}
      </div>
    );
  }
  return (
    <ol className="was" aria-label="Earlier programs of this process">
      {was.map((w) => (
        <li key={`${w.until}|${w.name}`}>
          was <code>{shown(w)}</code> <span className="path">{w.exe ?? '(executable unknown)'}</span> until{' '}
          <time dateTime={new Date(w.until).toISOString()} title={dateTime(w.until)}>
            {clock(w.until)}
          </time>
        </li>
      ))}
    </ol>
  );
}
