/** The engine API this window was given (window.idlewatch), set once by connect(). */
import type { IdlewatchApi } from '../../shared/ipc.js';

let current: IdlewatchApi | null = null;

export function setApi(api: IdlewatchApi): void {
  current = api;
}

/** The API; throws when the window has none (every caller reports the message). */
export function api(): IdlewatchApi {
  if (!current) throw new Error('The Idlewatch engine is not connected to this window.');
  return current;
}
