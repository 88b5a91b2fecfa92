// Sandboxed preload: exposes exactly the typed API, never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';
import { API_EVENTS, API_INVOKE, buildApi } from '../../shared/ipc.js';

const api = buildApi(
  (channel, args) => ipcRenderer.invoke(channel, ...args),
  (channel, listener) => {
    const wrapped = (_event: Electron.IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  },
  API_INVOKE,
  API_EVENTS,
);

contextBridge.exposeInMainWorld('idlewatch', api);
