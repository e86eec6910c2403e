// One engine worker thread seen from the main process: sends commands, awaits replies, relays reports.
// A crashed worker becomes a "failed" status with its message, so the UI says what happened.

import { Worker } from "node:worker_threads";
import type { Inspection, MemoryDump } from "./protocol.ts";
import type { FoundStop, WorkerCommand, WorkerReport } from "./worker-protocol.ts";

/** Where the worker script is: TypeScript loaded through tsx (Node), or a bundled JavaScript file (Electron). */
export interface WorkerSpec {
  url: URL;
  typescript: boolean;
}

/**
 * Node 20 does not apply `--import tsx` from a worker's execArgv to the worker's entry module, so a TypeScript
 * worker starts from a one-line bootstrap that registers tsx's loader in the thread and then imports the entry.
 */
function startWorker(spec: WorkerSpec): Worker {
  if (!spec.typescript) return new Worker(spec.url);
  const loader = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const entry = JSON.stringify(spec.url.href);
  return new Worker(`import(${loader}).then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true });
}

type Request = Extract<WorkerCommand, { id: number }>;
type RequestWithoutId = Request extends infer R ? (R extends Request ? Omit<R, "id"> : never) : never;

export class EngineSession {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: Inspection | MemoryDump | FoundStop | null) => void; reject: (e: Error) => void }>();
  private exited = false;

  constructor(spec: WorkerSpec, onReport: (report: WorkerReport) => void) {
    this.worker = startWorker(spec);
    this.worker.on("message", (report: WorkerReport) => {
      if (report.type !== "reply") return onReport(report);
      const waiter = this.waiting.get(report.id);
      this.waiting.delete(report.id);
      if (report.ok) waiter?.resolve(report.result);
      else waiter?.reject(new Error(report.error));
    });
    const die = (message: string) => {
      if (this.exited) return;
      this.exited = true;
      for (const waiter of this.waiting.values()) waiter.reject(new Error(message));
      this.waiting.clear();
      onReport({ type: "status", status: { state: "failed", guest: "", icount: 0, vcycles: 0, message } });
    };
    this.worker.on("error", (error) => die(`the engine failed: ${error.message}`));
    this.worker.on("exit", (code) => die(`the engine thread exited (code ${code})`));
  }

  send(command: WorkerCommand): void {
    if (this.exited) throw new Error("the engine thread is not running; boot the machine again");
    this.worker.postMessage(command);
  }

  request(command: RequestWithoutId): Promise<Inspection | MemoryDump | FoundStop | null> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      try {
        this.send({ ...command, id } as WorkerCommand);
      } catch (error) {
        this.waiting.delete(id);
        reject(error as Error);
      }
    });
  }

  async terminate(): Promise<void> {
    this.exited = true;
    await this.worker.terminate();
  }
}
