// The renderer's side of the lab protocol: one typed client over Electron IPC (preload bridge) or a WebSocket.
// Both transports carry the same envelopes from main/protocol.ts; responses are shape-checked before use.

import {
  parseServerMessage,
  type LabEvent,
  type Method,
  type Params,
  type RequestMessage,
  type ResponseMessage,
  type Results,
} from "../../../main/protocol.ts";

/** What main/preload.ts exposes through contextBridge: two narrow functions, never ipcRenderer itself. */
export interface HedronBridge {
  request(message: RequestMessage): Promise<unknown>;
  onEvent(listener: (message: unknown) => void): () => void;
}

declare global {
  interface Window {
    hedron?: HedronBridge;
  }
}

type Listener = (event: LabEvent) => void;

export class LabClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<Listener>();
  /** Set once the transport is gone: later calls fail at once instead of waiting forever. */
  private closed: string | null = null;

  private constructor(
    private readonly send: (message: RequestMessage) => void,
    readonly transport: "electron" | "websocket",
  ) {}

  /** Connects through the preload bridge when running in Electron, otherwise through the page's WebSocket. */
  static async connect(onClose: (reason: string) => void): Promise<LabClient> {
    const bridge = window.hedron;
    if (bridge) {
      const client: LabClient = new LabClient((m) => {
        bridge.request(m).then((raw) => client.receive(raw), (e: unknown) => client.fail(m.id, String(e)));
      }, "electron");
      bridge.onEvent((raw) => client.receive(raw));
      return client;
    }
    const token = new URLSearchParams(location.search).get("token") ?? "";
    const socket = new WebSocket(`ws://${location.host}/lab?token=${encodeURIComponent(token)}`);
    const client = new LabClient((m) => socket.send(JSON.stringify(m)), "websocket");
    socket.addEventListener("message", (e) => client.receive(JSON.parse(String(e.data))));
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("cannot connect to the lab (is the host still running, and is the token in the address right?)")), { once: true });
    });
    socket.addEventListener("close", () => {
      client.closed = "the connection to the lab host is closed";
      for (const id of [...client.pending.keys()]) client.fail(id, client.closed);
      onClose("The connection to the lab host closed. Restart it with `npm start`, then reconnect.");
    });
    return client;
  }

  call<M extends Method>(method: M, params: Params<M>): Promise<Results[M]> {
    const id = this.nextId++;
    if (this.closed !== null) return Promise.reject(new Error(`${method}: ${this.closed}`));
    return new Promise<Results[M]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ type: "request", id, method, params } as RequestMessage);
    });
  }

  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private receive(raw: unknown): void {
    const message = parseServerMessage(raw);
    if (message.type === "event") {
      for (const listener of this.listeners) listener(message.event);
      return;
    }
    this.settle(message);
  }

  private settle(message: ResponseMessage): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(message.error));
  }

  private fail(id: number, error: string): void {
    this.settle({ type: "response", id, ok: false, error });
  }
}
