// One ipcMain.handle per invoke channel of the contract: every request passes guardInvoke (our
// window, our app:// origin, valid arguments) before it is forwarded to the engine process.
import type { EngineClient } from '../engine/index.js';
import { API_INVOKE } from '../../shared/ipc.js';
import type { ShellIpcMain } from './electron-api.js';
import { guardInvoke } from './ipc-guard.js';

export function setupIpc(
  ipcMain: ShellIpcMain,
  client: Pick<EngineClient, 'invoke'>,
  ourWebContentsId: () => number | null,
): void {
  for (const channel of Object.values(API_INVOKE)) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      const valid = guardInvoke(
        channel,
        args,
        { frameUrl: event.senderFrame?.url, webContentsId: event.sender.id },
        ourWebContentsId(),
      );
      return client.invoke(valid.channel, valid.args);
    });
  }
}
