/**
 * What the service did that its IPC events do not say on their own, for listeners outside the
 * window: the SIEM event feed (main/engine/events/) turns each into one event. Emitted once, after
 * the fact, whatever the outcome: a refused kill is as much the record as a done one.
 */

/** The process an action was about, as the engine last saw it (null where it never saw it). */
export interface ActivityProcess {
  pid: number;
  startTimeMs: number;
  name: string | null;
  exe: string | null;
  cmdline: string | null;
  user: string | null;
}

export interface ActionActivity {
  type: 'action';
  /** `kill`, `pause`, `resume`, or the name of another action on a process (`quarantine`). */
  action: string;
  process: ActivityProcess;
  ok: boolean;
  /** Why nothing (or not everything) was done (`gone`, `reused`, `protected`, …); null when ok. */
  code: string | null;
  /** What was done, or why not, in words. */
  detail: string;
}

export type ServiceActivity = ActionActivity;
