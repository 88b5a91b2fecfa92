/** Severity as the window shows it: always text plus a shape, never colour alone. */
import type { Severity } from '../../../shared/detection.js';

export const SEVERITY_ORDER: readonly Severity[] = ['high', 'medium', 'low'];

export const SEVERITY_LABEL: Record<Severity, string> = { high: 'High', medium: 'Medium', low: 'Low' };

export function severityRank(s: Severity | null): number {
  return s === 'high' ? 3 : s === 'medium' ? 2 : s === 'low' ? 1 : 0;
}
