// Electron host: one sandboxed, context-isolated window on app://lab, the lab API over IPC, the engine in a worker.
// Follows Electron's security checklist: strict CSP, no Node in the renderer, no navigation, senders checked.

import { app, BrowserWindow, dialog, ipcMain, protocol, session, type IpcMainInvokeEvent } from "electron";
import { readFile } from "node:fs/promises";
import { dirname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { LabApi } from "./lab-api.ts";
import { dispatch, type EventMessage } from "./protocol.ts";
import { contentSecurityPolicy, contentType } from "./renderer-policy.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
/** dist/electron/ sits two levels below the app root, in the repository and inside the packaged app alike. */
const ROOT = resolve(HERE, "..", "..");
const RENDERER = join(ROOT, "renderer", "dist");
const ORIGIN = "app://lab";

/** Node's URL reports "null" as the origin of custom schemes, so compare scheme and host instead. */
function isLabUrl(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === "app:" && parsed.host === "lab";
}

protocol.registerSchemesAsPrivileged([{ scheme: "app", privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

/** Serves renderer/dist on app://lab/ with the CSP header; nothing outside that folder is reachable. */
async function serveRenderer(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (!isLabUrl(request.url)) return new Response("not found", { status: 404 });
  const relative = normalize(url.pathname === "/" ? "/index.html" : decodeURIComponent(url.pathname));
  const file = join(RENDERER, relative);
  if (!file.startsWith(RENDERER + sep)) return new Response("not found", { status: 404 });
  try {
    const body = await readFile(file);
    return new Response(body, {
      headers: { "content-type": contentType(file), "content-security-policy": contentSecurityPolicy("'none'"), "x-content-type-options": "nosniff" },
    });
  } catch {
    return new Response("not found", { status: 404 });
  }
}

app.on("web-contents-created", (_event, contents) => {
  contents.on("will-navigate", (event) => event.preventDefault());
  contents.on("will-redirect", (event) => event.preventDefault());
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: "deny" }));
});

app.on("window-all-closed", () => app.quit());

app.whenReady().then(async () => {
  protocol.handle("app", serveRenderer);
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const api = new LabApi({
    host: "electron",
    guestsDir: join(ROOT, "engine", "guests", "bin"),
    bundledRecordings: join(ROOT, "recordings"),
    userRecordings: join(process.env.HEDRON_LAB_DATA ?? app.getPath("userData"), "recordings"),
    worker: { url: new URL("./engine-worker.mjs", import.meta.url), typescript: false },
    version: pkg.version,
  });

  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: "Hedron Lab",
    backgroundColor: "#10151c",
    webPreferences: {
      preload: join(HERE, "preload.cjs"),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });

  /** Only our own window's main frame, showing our own origin, may call the lab. */
  const trusted = (event: IpcMainInvokeEvent): boolean =>
    event.sender === window.webContents && event.senderFrame !== null && event.senderFrame === window.webContents.mainFrame &&
    isLabUrl(event.senderFrame.url);

  ipcMain.handle("lab:request", (event, raw: unknown) => {
    if (!trusted(event)) throw new Error("lab requests are only accepted from the lab window");
    return dispatch(api, raw);
  });
  const unsubscribe = api.subscribe((event) => {
    if (!window.isDestroyed()) window.webContents.send("lab:event", { type: "event", event } satisfies EventMessage);
  });
  window.on("closed", () => {
    unsubscribe();
    void api.close();
  });

  await window.loadURL(`${ORIGIN}/index.html`);
  // A demo that fails to boot is reported in the window (the status event says why); the app stays usable.
  await api.handle("machine.boot", { guest: "hello", args: [], record: false }).catch(() => undefined);
}).catch((error: unknown) => {
  dialog.showErrorBox("Hedron Lab cannot start", error instanceof Error ? error.message : String(error));
  app.quit();
});
