// Browser host: serves the built renderer over HTTP and carries the lab protocol over a WebSocket.
// Bound to 127.0.0.1 only; the socket needs this start's random token and our own Origin and Host.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join, normalize, sep } from "node:path";
import { WebSocketServer, type WebSocket } from "ws";
import { dispatch, type EventMessage, type LabEvent, type LabHandler } from "./protocol.ts";
import { contentSecurityPolicy, contentType } from "./renderer-policy.ts";

export interface LabService extends LabHandler {
  /** Registers a listener for pushed events; returns the function that removes it. */
  subscribe(listener: (event: LabEvent) => void): () => void;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 720 * 1024 * 1024;

export async function startBrowserHost(service: LabService, rendererDir: string, port = 0): Promise<BrowserHost> {
  const token = randomBytes(24).toString("base64url");
  const server = createServer((req, res) => {
    serveStatic(req, res, rendererDir, actualPort()).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();
  const unsubscribe = service.subscribe((event) => {
    const text = JSON.stringify({ type: "event", event } satisfies EventMessage);
    for (const client of clients) client.send(text);
  });

  server.on("upgrade", (req, socket, head) => {
    const port = actualPort();
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    const given = Buffer.from(url.searchParams.get("token") ?? "");
    const expected = Buffer.from(token);
    const origin = req.headers.origin ?? "";
    const allowed =
      url.pathname === "/lab" &&
      hostAllowed(req, port) &&
      (origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`) &&
      given.length === expected.length &&
      timingSafeEqual(given, expected);
    if (!allowed) {
      socket.end("HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n");
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on("close", () => clients.delete(ws));
      ws.on("message", (data, isBinary) => {
        let raw: unknown = undefined;
        try {
          raw = isBinary ? undefined : JSON.parse(data.toString());
        } catch {
          // Not JSON: dispatch answers with a protocol error below.
        }
        void dispatch(service, raw).then((response) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(response));
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  function actualPort(): number {
    const address = server.address();
    return typeof address === "object" && address ? address.port : port;
  }
  const bound = actualPort();
  return {
    url: `http://127.0.0.1:${bound}/?token=${token}`,
    port: bound,
    token,
    close: async () => {
      unsubscribe();
      for (const client of clients) client.terminate();
      sockets.close();
      // A browser keeps idle HTTP connections open; without this a connected page would hold the shutdown.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Rejects requests whose Host is not our loopback address (DNS-rebinding defence). */
function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host ?? "";
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, port: number): Promise<void> {
  if (!hostAllowed(req, port)) {
    res.writeHead(403, { "content-type": "text/plain" }).end("forbidden host");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    res.writeHead(400, { "content-type": "text/plain" }).end("bad request: malformed %-escape in the address");
    return;
  }
  const relative = normalize(pathname === "/" ? "/index.html" : pathname);
  const file = join(root, relative);
  if (!file.startsWith(root + sep) || relative.includes("\0")) {
    res.writeHead(404).end();
    return;
  }
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    return;
  }
  const body = await readFile(file);
  res.writeHead(200, {
    "content-type": contentType(file),
    "content-security-policy": contentSecurityPolicy(`'self' ws://127.0.0.1:${port}`),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
