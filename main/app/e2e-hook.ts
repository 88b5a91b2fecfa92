// Read by e2e/electron.spec.ts through electronApp.evaluate (main process only), and only when
// IDLEWATCH_E2E=1: the tray has no DOM for Playwright to look at.
import type { EngineClient } from '../engine/index.js';
import type { ShellTrayHandle } from './tray.js';

export function setupE2eHook(
  env: NodeJS.ProcessEnv,
  parts: { tray: Pick<ShellTrayHandle, 'state'>; client: Pick<EngineClient, 'invoke'> },
): void {
  if (env.IDLEWATCH_E2E !== '1') return;
  (globalThis as Record<string, unknown>).__idlewatchShell = {
    trayState: () => parts.tray.state(),
    invoke: (channel: string, args: unknown[]) => parts.client.invoke(channel, args),
  };
}
