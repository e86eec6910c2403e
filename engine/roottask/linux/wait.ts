// Wait queues of the personality: which blocked threads a wake key (a pipe, a child, a futex word) concerns, and
// which threads are due to run their blocked call again. Plain data, so a snapshot holds every waiter.

export interface FutexWaiter {
  tid: number;
  bitset: number;
}

export class Waits {
  /** Wake key → tids blocked on it, in the order they blocked. */
  readonly queues = new Map<string, number[]>();
  /** Futex word ("PD:ADDR") → its waiters in FIFO order (a wake finishes them; they never re-run FUTEX_WAIT). */
  readonly futexes = new Map<string, FutexWaiter[]>();
  /** Threads whose blocked call is due (run again or finish with its set result), in wake order. */
  readonly due: number[] = [];

  enqueue(tid: number, keys: string[]): void {
    for (const key of keys) {
      const q = this.queues.get(key);
      if (q) q.push(tid);
      else this.queues.set(key, [tid]);
    }
  }

  /** Takes a thread off every queue it waits in (it is due, was finished, or died). */
  remove(tid: number, keys: string[]): void {
    for (const key of keys) {
      const q = this.queues.get(key);
      if (!q) continue;
      const i = q.indexOf(tid);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) this.queues.delete(key);
    }
    for (const [key, list] of this.futexes) {
      const i = list.findIndex((w) => w.tid === tid);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.futexes.delete(key);
    }
  }

  /** Something changed for `key`: every thread waiting on it is due. */
  notify(key: string): void {
    const q = this.queues.get(key);
    if (!q) return;
    this.queues.delete(key);
    for (const tid of q) this.makeDue(tid);
  }

  makeDue(tid: number): void {
    if (!this.due.includes(tid)) this.due.push(tid);
  }
}
