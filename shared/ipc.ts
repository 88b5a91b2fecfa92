/**
 * The one IPC contract between the engine side (the Electron shell and its engine process, or the
 * e2e harness) and the renderer. Channels are declared once here; the engine's handlers, the
 * preload's API object, the argument schemas (ipc-schema.ts) and the renderer's calls are all
 * derived from these maps, so a channel cannot drift without `tsc` failing.
 */
import type { ActionResult, ActionTarget } from './actions.js';
import type { AllowlistEntry, AllowlistEntryInput, AllowlistVerdict } from './allowlist.js';
import type { AwaySummary, Incident, Severity } from './detection.js';
import type { EngineProc, SampleSummary, SourceStatus, WindowSnapshot } from './engine-types.js';
import type { ProcessKey } from './identity.js';
import type { ProcDelta } from './proc-stream.js';
import type { DeleteResult, KillQuarantineResult, QuarantineListing, RestoreResult } from './quarantine.js';
import type { RemoveResult, ScanProgress, ScanReport } from './scan.js';
import type { HostsBlockChange, HostsBlockView, Settings } from './settings.js';
import type { StoreProblem } from './storage.js';
import type { TraceConn, UserState } from './trace.js';

export type { ProcessKey } from './identity.js';

/** The window's screens; the tray and notifications open the window on one of them. */
export type Route = 'overview' | 'incidents' | 'scan' | 'quarantine' | 'allowlist' | 'settings';
export const ROUTES: readonly Route[] = ['overview', 'incidents', 'scan', 'quarantine', 'allowlist', 'settings'];

/** An incident as the window shows it: the detector's incident (epoch times) plus review state. */
export interface IncidentView extends Incident {
  /** processKey({ pid, startTimeMs: startT }): one incident per process. */
  key: string;
  /** The user marked it as reviewed (kept in the data folder). */
  reviewed: boolean;
  /** Raised in this run of the engine (the process may still be alive); false: from the history file. */
  live: boolean;
  /** Whether the process is still running (as of the latest sample). */
  running: boolean;
  /** The process is stopped by Idlewatch's Pause (until Resume). */
  paused: boolean;
}

export interface IncidentQuery {
  /** Only these severities (all when absent or empty). */
  severity?: Severity[];
  /** Case-insensitive match on name, executable path or command line. */
  text?: string;
  /** Epoch ms bounds on the incident's last sample. */
  since?: number;
  until?: number;
  /** Include incidents marked reviewed (default true). */
  includeReviewed?: boolean;
  /** Include allowlisted incidents (default true). */
  includeAllowlisted?: boolean;
  /** At most this many, newest first (default 500). */
  limit?: number;
}

/** One point of a process's own history, for the details chart. */
export interface ProcessSeriesPoint {
  at: number;
  userState: UserState;
  cpu: number;
  gpu: number | null;
}

/** Everything the details drawer shows about one process. */
export interface ProcessDetails {
  key: string;
  pid: number;
  startTimeMs: number;
  name: string;
  exe: string | null;
  cmdline: string;
  user: string | null;
  /** The live process as of the latest sample, null when it has exited. */
  proc: EngineProc | null;
  /** Parent chain, nearest first, up to the first process Idlewatch cannot see (or pid 1). */
  parents: { pid: number; name: string; exe: string | null }[];
  /** Open network connections (Linux: read from /proc/net for this process's sockets). */
  conns: TraceConn[];
  /** SHA-256 of the executable, computed on request; null when unreadable or not asked. */
  sha256: string | null;
  /** Its samples from the engine's in-memory history (the busiest processes of each tick). */
  series: ProcessSeriesPoint[];
  /** Idle periods over the same window as the series, for shading. */
  idleBands: { from: number; to: number }[];
  incident: IncidentView | null;
  /** Whether an allowlist entry covers it, or why the entry for its path does not apply. */
  allowlist: AllowlistVerdict | null;
  paused: boolean;
  /**
   * Why its program is in a folder users can write to, where "Kill and quarantine the program" is
   * offered; null (or absent) otherwise.
   */
  quarantinable?: string | null;
}

/** The engine's state beyond samples: what the banner, the tray and the settings page need. */
export interface EngineStatus {
  /** Monitoring paused by the user until this epoch ms; null when watching. */
  pausedUntil: number | null;
  /** The machine is asleep (between suspend and resume). */
  suspended: boolean;
  /** Problems found in the data files (corrupt files moved aside), to show once. */
  problems: StoreProblem[];
  /** Why the engine is not working, when it is not (shown in the window, the tray and the CLI). */
  error: string | null;
  dataDir: string;
  /** Open (not reviewed, not allowlisted) incidents of this run by severity. */
  open: Record<Severity, number>;
  /** Processes Idlewatch paused, so the UI (window and tray) can offer Resume. */
  paused: PausedProcess[];
}

/**
 * A process Idlewatch paused, with the identity it had then: Resume sends pid, start time and
 * executable back, and the engine acts only if the process still matches all three.
 */
export interface PausedProcess extends ProcessKey {
  name: string;
  exe: string | null;
  user: string | null;
  /** Epoch ms. */
  pausedAt: number;
}

/** The deep scan as the window follows it. */
export interface ScanState {
  running: boolean;
  /** Latest progress of the running scan (null when idle). */
  progress: ScanProgress | null;
  /** The last finished scan's report (kept while a new one runs). */
  report: ScanReport | null;
  /** Epoch ms the report finished. */
  finishedAt: number | null;
  /** Why the last scan did not finish: "cancelled", or the error. */
  error: string | null;
}

export interface AllowlistImportResult {
  added: number;
  skipped: number;
  /** One line per entry refused (an interpreter without an argument pattern); the others were kept. */
  refused: string[];
  /** Entries pinned to the file's SHA-256 on this machine (import pins by default). */
  pinned: number;
  /** "path: why" for each added entry left unpinned. */
  notPinned: string[];
  entries: AllowlistEntry[];
}

/** Request/response channels: renderer asks, engine answers. Arguments are validated (ipc-schema.ts). */
export interface InvokeContract {
  /** The latest sample's summary and the chart history; processes come by 'engine:procs'. */
  'engine:snapshot': { args: []; result: WindowSnapshot };
  /**
   * The window wants the process stream (true: the next sample event carries a keyframe, sent at
   * once) or no longer needs it (false: samples come without processes). See proc-stream.ts.
   */
  'engine:procs': { args: [subscribe: boolean]; result: boolean };
  'engine:status': { args: []; result: EngineStatus };
  /** Pause monitoring until an epoch ms (null: resume now). */
  'engine:setPaused': { args: [until: number | null]; result: EngineStatus };
  'incidents:list': { args: [query: IncidentQuery]; result: IncidentView[] };
  'incidents:review': { args: [key: string, reviewed: boolean]; result: IncidentView | null };
  'away:latest': { args: []; result: AwaySummary | null };
  /** `hash`: also compute the executable's SHA-256 (slower on big files). */
  'process:details': { args: [key: ProcessKey, hash: boolean]; result: ProcessDetails | null };
  'process:kill': { args: [target: ActionTarget]; result: ActionResult };
  'process:pause': { args: [target: ActionTarget]; result: ActionResult };
  'process:resume': { args: [target: ActionTarget]; result: ActionResult };
  'allowlist:list': { args: []; result: AllowlistEntry[] };
  'allowlist:add': { args: [input: AllowlistEntryInput]; result: AllowlistEntry };
  'allowlist:remove': { args: [id: string]; result: boolean };
  /** The export document as JSON text (the renderer saves it as a file). */
  'allowlist:export': { args: []; result: string };
  /** Imports an export's JSON text; nothing changes unless all of it is valid. */
  'allowlist:import': { args: [json: string, mode: 'merge' | 'replace']; result: AllowlistImportResult };
  'settings:get': { args: []; result: Settings };
  /** Changes some settings; returns all of them as stored. */
  'settings:set': { args: [patch: Partial<Settings>]; result: Settings };
  /** Whether Idlewatch's block of mining domains is in the hosts file (and whether someone changed it). */
  'hosts:blockStatus': { args: []; result: HostsBlockView };
  /** Turns the block on or off; the engine asks for administrator rights the platform's way. */
  'hosts:setBlock': { args: [on: boolean]; result: HostsBlockChange };
  /** Starts a deep scan; false when one is already running. */
  'scan:start': { args: []; result: boolean };
  'scan:cancel': { args: []; result: boolean };
  'scan:state': { args: []; result: ScanState };
  /** The last report as a self-contained HTML document (every string escaped), null when none. */
  'scan:html': { args: []; result: string | null };
  /** Removes one persistence finding's line of the last report (the user confirmed); the file as it was goes to the quarantine. */
  'scan:removePersistence': { args: [findingId: string]; result: RemoveResult };
  /** Ends the process of one finding of the last report and quarantines its program (the user confirmed). */
  'scan:killQuarantine': { args: [findingId: string]; result: KillQuarantineResult };
  /** Ends a process Idlewatch reported and quarantines its program (only in a user-writable folder). */
  'process:killQuarantine': { args: [target: ActionTarget]; result: KillQuarantineResult };
  /** Everything in the quarantine, newest first, with the problems met reading it. */
  'quarantine:list': { args: []; result: QuarantineListing };
  /** Puts an item back; refused when its file changed since (nothing is overwritten). */
  'quarantine:restore': { args: [id: string]; result: RestoreResult };
  /** Deletes an item for good (the user confirmed). */
  'quarantine:delete': { args: [id: string]; result: DeleteResult };
  /**
   * The window was shown (true) or hidden (false). Stealth miners pause while someone looks: load
   * that drops when the window opens and comes back after it closes is evidence (hides-when-watched).
   */
  'window:visibility': { args: [visible: boolean]; result: boolean };
}

/** Engine → renderer events. */
export interface EventContract {
  /** Every tick; `procs` only while the window subscribed to the process stream ('engine:procs'), else null. */
  'engine:sample': { sample: SampleSummary; sources: SourceStatus[]; procs: ProcDelta | null };
  'engine:status': EngineStatus;
  'incident:changed': { incident: IncidentView; change: 'raised' | 'escalated' | 'updated' | 'reviewed' };
  'away:summary': AwaySummary;
  'scan:state': ScanState;
  'allowlist:changed': AllowlistEntry[];
  'settings:changed': Settings;
  /** The quarantine changed (an item added, restored or deleted). */
  'quarantine:changed': QuarantineListing;
  /** The tray or a notification asks the window to show a screen (and an incident). The tray's "Run deep scan" starts the scan itself. */
  'app:navigate': { route: Route; incidentKey?: string };
}

export type InvokeChannel = keyof InvokeContract;
export type EventChannel = keyof EventContract;

/** Which API method calls which invoke channel. */
export const API_INVOKE = {
  getSnapshot: 'engine:snapshot',
  streamProcs: 'engine:procs',
  getStatus: 'engine:status',
  setPaused: 'engine:setPaused',
  listIncidents: 'incidents:list',
  reviewIncident: 'incidents:review',
  getAwaySummary: 'away:latest',
  getProcessDetails: 'process:details',
  kill: 'process:kill',
  pause: 'process:pause',
  resume: 'process:resume',
  listAllowlist: 'allowlist:list',
  addAllowlist: 'allowlist:add',
  removeAllowlist: 'allowlist:remove',
  exportAllowlist: 'allowlist:export',
  importAllowlist: 'allowlist:import',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
  getHostsBlock: 'hosts:blockStatus',
  setHostsBlock: 'hosts:setBlock',
  startScan: 'scan:start',
  cancelScan: 'scan:cancel',
  getScan: 'scan:state',
  getScanHtml: 'scan:html',
  removePersistence: 'scan:removePersistence',
  killQuarantineFinding: 'scan:killQuarantine',
  killAndQuarantine: 'process:killQuarantine',
  listQuarantine: 'quarantine:list',
  restoreQuarantine: 'quarantine:restore',
  deleteQuarantine: 'quarantine:delete',
  setWindowVisible: 'window:visibility',
} as const satisfies Record<string, InvokeChannel>;

/** Which API method subscribes to which event channel. */
export const API_EVENTS = {
  onSample: 'engine:sample',
  onStatus: 'engine:status',
  onIncident: 'incident:changed',
  onAwaySummary: 'away:summary',
  onScan: 'scan:state',
  onAllowlist: 'allowlist:changed',
  onSettings: 'settings:changed',
  onQuarantine: 'quarantine:changed',
  onNavigate: 'app:navigate',
} as const satisfies Record<string, EventChannel>;

// Every channel has exactly one API method (a channel left out would be unreachable from the UI).
type Missing<All, Used> = Exclude<All, Used> extends never ? true : { missing: Exclude<All, Used> };
const _allInvoke: Missing<InvokeChannel, (typeof API_INVOKE)[keyof typeof API_INVOKE]> = true;
const _allEvents: Missing<EventChannel, (typeof API_EVENTS)[keyof typeof API_EVENTS]> = true;
void _allInvoke;
void _allEvents;

/** What `window.idlewatch` offers the renderer (exposed by the preload through contextBridge). */
export type IdlewatchApi = {
  readonly [M in keyof typeof API_INVOKE]: (
    ...args: InvokeContract[(typeof API_INVOKE)[M]]['args']
  ) => Promise<InvokeContract[(typeof API_INVOKE)[M]]['result']>;
} & {
  readonly [M in keyof typeof API_EVENTS]: (
    listener: (payload: EventContract[(typeof API_EVENTS)[M]]) => void,
  ) => () => void;
};

export type Invoke = (channel: string, args: unknown[]) => Promise<unknown>;
export type Subscribe = (channel: string, listener: (payload: unknown) => void) => () => void;

/**
 * Builds the API object from two transport functions. Self-contained on purpose (it uses only its
 * parameters): the preload runs it with ipcRenderer, and the e2e harness injects its source text
 * into Chromium with a Playwright binding, so both give the renderer the very same object.
 */
export function buildApi(
  invoke: Invoke,
  subscribe: Subscribe,
  invokeMap: Record<string, string>,
  eventMap: Record<string, string>,
): IdlewatchApi {
  const api: Record<string, unknown> = {};
  for (const method of Object.keys(invokeMap)) {
    const channel = invokeMap[method] as string;
    api[method] = (...args: unknown[]) => invoke(channel, args);
  }
  for (const method of Object.keys(eventMap)) {
    const channel = eventMap[method] as string;
    api[method] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`${method} needs a function`);
      return subscribe(channel, listener);
    };
  }
  return Object.freeze(api) as unknown as IdlewatchApi;
}

/** Engine-side handlers, one per invoke channel, typed from the contract. */
export type InvokeHandlers = {
  [C in InvokeChannel]: (
    ...args: InvokeContract[C]['args']
  ) => Promise<InvokeContract[C]['result']> | InvokeContract[C]['result'];
};

/** Something that emits the contract's events (the engine service; the shell forwards them). */
export type EmitEvent = <C extends EventChannel>(channel: C, payload: EventContract[C]) => void;

declare global {
  interface Window {
    idlewatch: IdlewatchApi;
  }
}
