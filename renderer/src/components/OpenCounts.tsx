import { useEffect } from 'react';
import type { Severity } from '../../../shared/detection.js';
import { isOpenIncident } from '../lib/banner.js';
import { plural } from '../lib/format.js';
import { SEVERITY_LABEL } from '../lib/severity.js';
import { useOpenIncidents } from '../stores/incidents.js';
import { useStatus } from '../stores/status.js';

/** Open incidents by severity, in the title area and the window title. */
export function OpenCounts() {
  const fromStatus = useStatus((s) => s.status?.open ?? null);
  const list = useOpenIncidents((s) => s.list);
  const counts: Record<Severity, number> = fromStatus ?? { high: 0, medium: 0, low: 0 };
  if (!fromStatus) for (const i of list) if (isOpenIncident(i)) counts[i.severity]++;
  const total = counts.high + counts.medium;

  useEffect(() => {
    document.title = total > 0 ? `Idlewatch (${plural(total, 'open incident', 'open incidents')})` : 'Idlewatch';
  }, [total]);

  if (total === 0 && counts.low === 0) {
    return (
      <span className="counts" data-testid="open-counts">
        No open incidents
      </span>
    );
  }
  return (
    <span className="counts" data-testid="open-counts">
      {(['high', 'medium', 'low'] as const)
        .filter((s) => counts[s] > 0)
        .map((s) => (
          <span key={s} className={`count sev-${s}`}>
            {counts[s]} {SEVERITY_LABEL[s].toLowerCase()}
          </span>
        ))}
      <span className="sr-only"> open</span>
    </span>
  );
}
