/** Why a turn was refused: too many wait already, or this one waited its longest without a place. */
export type Refusal = 'too-many-waiting' | 'waited-too-long';

interface Waiter {
  start(): void;
  timer?: NodeJS.Timeout;
}

/**
 * A few places for work that holds something scarce (a database connection each, a pass over the base): at most
 * `atOnce` run at once, at most `waiting` more wait for a place, in the order they came, each at most `maxWaitMs`
 * (null: until a place frees); anything beyond is refused with `refuse(why)` instead of queued without end. A waiter
 * holds nothing but its place in the line, so work that waits here opens no connection until its turn comes.
 * One per process and purpose: the reports' places (src/graphql/limits.ts), the API's imports' (ImportService).
 */
export class Turns {
  private running = 0;
  private readonly line: Waiter[] = [];

  constructor(
    readonly atOnce: number,
    readonly waiting: number,
    private readonly refuse: (why: Refusal) => Error,
    readonly maxWaitMs: number | null = null,
  ) {
    if (!Number.isInteger(atOnce) || atOnce < 1) throw new RangeError(`at least one place, got ${atOnce}`);
  }

  /** How many run now. */
  get runningCount(): number {
    return this.running;
  }

  /** How many wait for a place now. */
  get waitingCount(): number {
    return this.line.length;
  }

  /**
   * Runs `work` in a place, now or once one is free; the place is freed when it settles, whatever its outcome.
   * Refused at once (thrown, not a rejected promise) when `waiting` wait already; rejected with the refusal when the wait
   * runs past `maxWaitMs`, `work` never started.
   */
  take<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.atOnce) {
      this.running++;
      return this.run(work);
    }
    if (this.line.length >= this.waiting) throw this.refuse('too-many-waiting');
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { start: resolve };
      if (this.maxWaitMs !== null) {
        waiter.timer = setTimeout(() => {
          const at = this.line.indexOf(waiter);
          if (at < 0) return;
          this.line.splice(at, 1);
          reject(this.refuse('waited-too-long'));
        }, this.maxWaitMs);
        // A request waiting its turn keeps no stopping process alive.
        waiter.timer.unref();
      }
      this.line.push(waiter);
    }).then(() => this.run(work));
  }

  /** `work` in a place already counted as taken. */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  /** A place freed: handed to the first in line (still counted as taken), or given back. */
  private release(): void {
    const next = this.line.shift();
    if (!next) {
      this.running--;
      return;
    }
    clearTimeout(next.timer);
    next.start();
  }
}
