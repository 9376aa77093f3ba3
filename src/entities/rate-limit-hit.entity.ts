import 'reflect-metadata';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Requests counted against one rate limit (an API key's, or a client address's) in the
 * current window, shared by every API process. Unlogged (migration 20261202130000): no
 * write-ahead log for a counter that a crash may as well start again.
 */
@Entity({ tableName: 'rate_limit_hit' })
export class RateLimitHit {
  /** The limit's prefix and the client: `key:<sha-256 of the Authorization header>`, `ip:<address>`, `auth-failures:<address>`. */
  @PrimaryKey({ type: 'text' })
  key!: string;

  @Property({ type: 'integer' })
  hits!: number;

  /** When the window ends and the count starts again. */
  @Property({ type: 'timestamptz', length: 3 })
  resetAt!: Date;
}
