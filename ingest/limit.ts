// A tiny semaphore: at most `max` tasks at once. `acquire` waits for a free slot, so a producer that
// awaits it (a CSV stream, a batch loop) is held back: backpressure instead of unbounded queues.

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error('semaphore size must be a positive integer');
  }

  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next(); // the slot passes straight to the next waiter
      return;
    }
    this.active--;
    if (this.active === 0) for (const idle of this.idleWaiters.splice(0)) idle();
  }

  /**
   * Runs `fn` in a slot once one is free; resolves when `fn` has been *started*, not finished.
   * `fn` must handle its own errors: a rejection here is dropped.
   */
  async start(fn: () => Promise<void>): Promise<void> {
    await this.acquire();
    void fn()
      .catch(() => undefined)
      .finally(() => this.release());
  }

  /** Resolves once every started task has finished. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** Maps `items` through `fn` with at most `max` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  max: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(max, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return results;
}
