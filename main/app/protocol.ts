// Serves the renderer from app://idlewatch/ (a privileged standard scheme), never file://.
import { readFile } from 'node:fs/promises';
import { appHeaders, resolveAppFile } from './app-protocol.js';
import type { ShellProtocol } from './electron-api.js';
import { APP_SCHEME } from './ipc-guard.js';

/** Must run before the app is ready. */
export function registerAppScheme(protocol: Pick<ShellProtocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Answers app:// requests with files under `root` (with the CSP header); anything else is 404. */
export function setupAppScheme(protocol: Pick<ShellProtocol, 'handle'>, root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppFile(root, request.url);
    if (!file) return new Response('not found', { status: 404 });
    try {
      return new Response(await readFile(file), { headers: appHeaders(file) });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
