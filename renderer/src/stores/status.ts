/** The engine's status: errors, paused monitoring, data-file problems, open incident counts. */
import { create } from 'zustand';
import type { EngineStatus } from '../../../shared/ipc.js';
import type { StoreProblem } from '../../../shared/storage.js';

const DISMISSED_KEY = 'idlewatch.dismissedProblems';

export function problemId(p: StoreProblem): string {
  return `${p.file}\u0000${p.movedTo ?? ''}\u0000${p.line ?? ''}\u0000${p.problem}`;
}

function loadDismissed(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(DISMISSED_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export interface StatusState {
  status: EngineStatus | null;
  /** Why the status could not be read. */
  error: string | null;
  /** Problems the user has dismissed (kept, so each is shown once). */
  dismissed: string[];
}

export const useStatus = create<StatusState>(() => ({
  status: null,
  error: null,
  dismissed: typeof localStorage === 'undefined' ? [] : loadDismissed(),
}));

export function setStatus(status: EngineStatus): void {
  useStatus.setState({ status, error: null });
}

export function statusFailed(error: string): void {
  useStatus.setState({ error });
}

export function dismissProblems(problems: readonly StoreProblem[]): void {
  const dismissed = [...new Set([...useStatus.getState().dismissed, ...problems.map(problemId)])].slice(-100);
  useStatus.setState({ dismissed });
  try {
    localStorage.setItem(DISMISSED_KEY, JSON.stringify(dismissed));
  } catch {
    // Storage full or disabled: the notice stays dismissed for this session.
  }
}
