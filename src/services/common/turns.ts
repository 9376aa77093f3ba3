import { E_TIMEOUT, Semaphore, withTimeout, type SemaphoreInterface } from 'async-mutex';

/** Why a turn was refused: too many wait already, or this one waited its longest without a place. */
export type Refusal = 'too-many-waiting' | 'waited-too-long';

/**
 * A few places for work that holds something scarce (a database connection each, a pass over the base): at most
 * `atOnce` run at once (async-mutex's semaphore, which serves waiters in the order they came), at most `waiting` more
 * wait for a place, each at most `maxWaitMs` (null: until a place frees); anything beyond is refused with `refuse(why)`
 * instead of queued without end. A waiter holds nothing but its place in the line, so work that waits here opens no
 * connection until its turn comes. One per process and purpose: the reports' places (src/graphql/limits.ts), the API's
 * imports' (ImportService).
 */
export class Turns {
  private readonly places: SemaphoreInterface;
  private waiters = 0;

  constructor(
    readonly atOnce: number,
    readonly waiting: number,
    private readonly refuse: (why: Refusal) => Error,
    readonly maxWaitMs: number | null = null,
  ) {
    if (!Number.isInteger(atOnce) || atOnce < 1) throw new RangeError(`at least one place, got ${atOnce}`);
    this.places = new Semaphore(atOnce);
  }

  /** How many run now. */
  get runningCount(): number {
    return this.atOnce - Math.max(this.places.getValue(), 0);
  }

  /** How many wait for a place now. */
  get waitingCount(): number {
    return this.waiters;
  }

  /**
   * Runs `work` in a place, now or once one is free; the place is freed when it settles, whatever its outcome.
   * Refused at once (thrown, not a rejected promise) when `waiting` wait already; rejected with the refusal when the wait
   * runs past `maxWaitMs` (this call's, else the one given at construction), `work` never started.
   */
  take<T>(work: () => Promise<T>, maxWaitMs: number | null = this.maxWaitMs): Promise<T> {
    // The semaphore takes a free place at once (synchronously): only a take that finds none waits.
    const waits = this.places.isLocked();
    if (waits && this.waiters >= this.waiting) throw this.refuse('too-many-waiting');
    return this.run(work, waits, maxWaitMs);
  }

  private async run<T>(work: () => Promise<T>, waits: boolean, maxWaitMs: number | null): Promise<T> {
    if (waits) this.waiters++;
    let release: () => void;
    try {
      // A wait that runs out is let go of: a place it gets later is handed on at once (async-mutex's withTimeout).
      [, release] = await (maxWaitMs === null ? this.places : withTimeout(this.places, maxWaitMs)).acquire();
    } catch (error) {
      throw error === E_TIMEOUT ? this.refuse('waited-too-long') : error;
    } finally {
      if (waits) this.waiters--;
    }
    try {
      return await work();
    } finally {
      release();
    }
  }
}
