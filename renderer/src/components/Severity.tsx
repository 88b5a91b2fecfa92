import type { Reason, Severity } from '../../../shared/detection.js';
import { SEVERITY_LABEL } from '../lib/severity.js';

/** Severity as text, a shape (CSS ::before, so it stays out of the text) and a colour together. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span className={`sev sev-${severity}`} data-severity={severity}>
      {SEVERITY_LABEL[severity]}
    </span>
  );
}

/** Each reason's evidence in its own words, with the rule that produced it. */
export function EvidenceChips({ reasons }: { reasons: readonly Reason[] }) {
  if (reasons.length === 0) return <span className="muted">No evidence recorded</span>;
  return (
    <ul className="chips">
      {reasons.map((r) => (
        <li key={`${r.rule}:${r.detail}`} className={`chip chip-${r.rule}`} title={`Rule: ${r.rule}`}>
          {r.detail}
          <span className="sr-only"> (rule: {r.rule})</span>
        </li>
      ))}
    </ul>
  );
}
