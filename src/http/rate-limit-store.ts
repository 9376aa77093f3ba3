import { sql, type Kysely } from 'kysely';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

/** One key's count in this process for the current window: the shared total last heard, and what this process counted since. */
interface Count {
  windowEnd: number;
  shared: number;
  pending: number;
}

/**
 * Rate-limit counts shared by every API process through PostgreSQL (`rate_limit_hit`, an
 * unlogged table), so a limit holds across the processes behind a load balancer instead of
 * multiplying with them, without a round trip per request: each process counts in memory
 * and, every `syncMs`, adds what it counted to the shared counts in one statement, hearing
 * the other processes' counts in return. A request is judged by the shared count last heard
 * plus this process's own since; so, in the moment before they hear of each other, the
 * processes together may let through up to what each takes in `syncMs` beyond the limit.
 * Windows are fixed and aligned to the clock, so every process agrees on them unasked.
 */
export class PostgresRateLimitStore implements Store {
  private windowMs = 60_000;
  private readonly counts = new Map<string, Count>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private lastSweep = Date.now();

  /** Whether the last sync failed: a failing database is reported once, not every `syncMs`. */
  private failing = false;

  constructor(
    private readonly db: () => Kysely<unknown>,
    private readonly report: { syncFailed?: (error: unknown) => void; syncWorksAgain?: () => void } = {},
    private readonly syncMs = 200,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
    this.timer = setInterval(() => void this.sync(), this.syncMs);
    this.timer.unref();
  }

  increment(key: string): ClientRateLimitInfo {
    const count = this.current(key);
    count.pending += 1;
    return { totalHits: count.shared + count.pending, resetTime: new Date(count.windowEnd) };
  }

  decrement(key: string): void {
    this.current(key).pending -= 1;
  }

  get(key: string): ClientRateLimitInfo | undefined {
    const count = this.counts.get(key);
    if (!count || count.windowEnd <= Date.now()) return undefined;
    return { totalHits: count.shared + count.pending, resetTime: new Date(count.windowEnd) };
  }

  async resetKey(key: string): Promise<void> {
    this.counts.delete(key);
    await sql`delete from rate_limit_hit where key = ${key}`.execute(this.db());
  }

  /**
   * Adds this process's counts to the shared ones and hears the others' (one sync at a time).
   * While the database fails, each process counts alone and its counts wait for the next sync
   * that works.
   */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() =>
      this.syncOnce().then(
        () => {
          if (this.failing) this.report.syncWorksAgain?.();
          this.failing = false;
        },
        (error: unknown) => {
          if (!this.failing) this.report.syncFailed?.(error);
          this.failing = true;
        },
      ),
    );
    return this.syncing;
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sync();
  }

  private current(key: string): Count {
    const windowEnd = (Math.floor(Date.now() / this.windowMs) + 1) * this.windowMs;
    let count = this.counts.get(key);
    if (!count || count.windowEnd !== windowEnd) {
      count = { windowEnd, shared: 0, pending: 0 };
      this.counts.set(key, count);
    }
    return count;
  }

  private async syncOnce(): Promise<void> {
    const now = Date.now();
    for (const [key, c] of this.counts) if (c.windowEnd <= now) this.counts.delete(key);
    const active = [...this.counts].map(([key, count]) => ({ key, count, hits: count.pending }));
    // In key order, so processes sharing keys lock their rows in the same order (no deadlock).
    const counted = active.filter((a) => a.hits !== 0).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // Keys this process counted nothing for since its last sync: only the others' counts are heard.
    const heard = active.filter((a) => a.hits === 0);
    const totals = new Map<string, number>();
    if (counted.length > 0) {
      // A row of an earlier window starts again from what is added now.
      const { rows } = await sql<{ key: string; hits: number }>`
        insert into rate_limit_hit as h (key, hits, reset_at)
        select * from unnest(${counted.map((c) => c.key)}::text[], ${counted.map((c) => c.hits)}::int[], ${counted.map((c) => new Date(c.count.windowEnd).toISOString())}::timestamptz[])
        on conflict (key) do update set
          hits = case when h.reset_at < excluded.reset_at then excluded.hits else h.hits + excluded.hits end,
          reset_at = greatest(h.reset_at, excluded.reset_at)
        returning key, hits`.execute(this.db());
      for (const r of rows) totals.set(r.key, r.hits);
      for (const c of counted) c.count.pending -= c.hits;
    }
    if (heard.length > 0) {
      const { rows } = await sql<{ key: string; hits: number }>`
        select key, hits from rate_limit_hit where key = any(${heard.map((h) => h.key)}::text[]) and reset_at > now()`.execute(this.db());
      for (const r of rows) totals.set(r.key, r.hits);
    }
    for (const a of active) a.count.shared = totals.get(a.key) ?? a.count.shared;
    // After a failure, only a sync that reached the database says it works again (one with nothing to share asks it).
    if (this.failing && counted.length === 0 && heard.length === 0) await sql`select 1`.execute(this.db());
    // Rows of ended windows go, once a window.
    if (now - this.lastSweep >= this.windowMs) {
      this.lastSweep = now;
      await sql`delete from rate_limit_hit where reset_at <= now()`.execute(this.db());
    }
  }
}
