/**
 * The check every renderer request passes before it reaches the engine: it must come from our own
 * window's web contents, from a frame showing our app:// origin, on a known channel, with arguments
 * that fit the channel's schema. Pure (no electron), so it is unit-tested; ipc.ts calls it from
 * every ipcMain.handle.
 */
import type { InvokeChannel } from '../../shared/ipc.js';
import { IpcArgumentError, validateInvoke } from '../../shared/ipc-schema.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'idlewatch';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** What Electron tells about a request's sender. */
export interface SenderInfo {
  /** event.senderFrame?.url (the frame may be gone: null). */
  frameUrl: string | null | undefined;
  /** event.sender.id */
  webContentsId: number;
}

export class UntrustedSenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UntrustedSenderError';
  }
}

/** Whether a URL is a page of our app:// origin (exact scheme and host: app://idlewatch.evil is not). */
export function isAppUrl(url: string | null | undefined): boolean {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return (
      u.protocol === `${APP_SCHEME}:` && u.host.toLowerCase() === APP_HOST && u.username === '' && u.password === ''
    );
  } catch {
    return false;
  }
}

/**
 * Returns the validated arguments, or throws UntrustedSenderError (wrong window or origin) or
 * IpcArgumentError (unknown channel, bad arguments; the message names the argument and the problem).
 */
export function guardInvoke(
  channel: string,
  args: unknown[],
  sender: SenderInfo,
  ourWebContentsId: number | null,
): { channel: InvokeChannel; args: unknown[] } {
  if (ourWebContentsId === null || sender.webContentsId !== ourWebContentsId) {
    throw new UntrustedSenderError(`${channel}: refused, the request does not come from the Idlewatch window`);
  }
  if (!isAppUrl(sender.frameUrl)) {
    throw new UntrustedSenderError(`${channel}: refused, the request does not come from an ${APP_ORIGIN} page`);
  }
  const valid = validateInvoke(channel, args);
  return { channel: channel as InvokeChannel, args: valid };
}

export { IpcArgumentError };
