/**
 * The one IPC contract between the engine side (Electron main, or the e2e harness) and the
 * renderer. Both sides derive their code from these maps, so a channel cannot drift.
 */
import type { EngineSample, EngineSnapshot, SourceStatus } from './engine-types.js';

/** Request/response channels: renderer asks, engine answers. */
export interface InvokeContract {
  'engine:snapshot': { args: []; result: EngineSnapshot };
}

/** Engine → renderer events. */
export interface EventContract {
  'engine:sample': { sample: EngineSample; sources: SourceStatus[] };
}

export type InvokeChannel = keyof InvokeContract;
export type EventChannel = keyof EventContract;

/** What `window.idlewatch` offers the renderer (exposed by the preload through contextBridge). */
export interface IdlewatchApi {
  getSnapshot(): Promise<EngineSnapshot>;
  onSample(listener: (event: EventContract['engine:sample']) => void): () => void;
}

/** Which API method calls which invoke channel. */
export const API_INVOKE = { getSnapshot: 'engine:snapshot' } as const satisfies Partial<
  Record<keyof IdlewatchApi, InvokeChannel>
>;

/** Which API method subscribes to which event channel. */
export const API_EVENTS = { onSample: 'engine:sample' } as const satisfies Partial<
  Record<keyof IdlewatchApi, EventChannel>
>;

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

declare global {
  interface Window {
    idlewatch: IdlewatchApi;
  }
}
