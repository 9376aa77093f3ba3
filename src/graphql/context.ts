import type { Caller } from '../services/auth/api-keys.js';
import type { Services } from '../services/index.js';

export interface GraphQLContext {
  /** Null for a request without credentials; resolvers then allow nothing. */
  caller: Caller | null;
  services: Services;
}
