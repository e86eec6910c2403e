// Electron preload: exposes exactly two functions to the sandboxed renderer through contextBridge.
// The renderer never sees ipcRenderer; it can only send lab requests and listen to lab events.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";

contextBridge.exposeInMainWorld("hedron", {
  request: (message: unknown): Promise<unknown> => ipcRenderer.invoke("lab:request", message),
  onEvent: (listener: (message: unknown) => void): (() => void) => {
    const forward = (_event: IpcRendererEvent, message: unknown) => listener(message);
    ipcRenderer.on("lab:event", forward);
    return () => ipcRenderer.removeListener("lab:event", forward);
  },
});
