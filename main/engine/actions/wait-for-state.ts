import type { ActionTarget } from '../../../shared/actions.js';
import type { PollState, ProcessInspector } from './process-inspector.js';

/** Polls until `busy` no longer holds for the state, or `timeoutMs` passes; returns the last state. */
export async function waitWhile(
  inspector: ProcessInspector,
  target: ActionTarget,
  busy: (s: PollState) => boolean,
  timeoutMs: number,
  pollMs: number,
): Promise<PollState> {
  const end = Date.now() + timeoutMs;
  let state = await inspector.poll(target.pid, target.startTimeMs);
  while (busy(state) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, end - Date.now()))));
    state = await inspector.poll(target.pid, target.startTimeMs);
  }
  return state;
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
