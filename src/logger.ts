import { pino, type Logger } from 'pino';

/** One structured JSON logger for the API, the worker and (through the Temporal runtime) the workflows. */
export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, base: { service: name } });
}

export type { Logger };
