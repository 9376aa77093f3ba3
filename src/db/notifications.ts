import pg from 'pg';
import { postgresConnection } from './connection.js';

export interface ChannelListener {
  /** Whether LISTEN is in place now (false while the connection is lost and being made again). */
  readonly listening: boolean;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** A notification's payload. */
  onMessage: (payload: string) => void;
  /** Listening (again): notifications sent while nobody listened are lost, so what they would have said must be assumed. */
  onListening: () => void;
  onError: (error: unknown) => void;
  /** Longest pause between reconnection attempts (default 30 s). */
  maxRetryMs?: number;
}

/**
 * PostgreSQL LISTEN on one channel over its own connection (NOTIFY reaches every process
 * listening, at the notifying transaction's commit), reconnecting with a growing pause
 * when the connection is lost.
 */
export function listenToChannel(databaseUrl: string, channel: string, options: ListenOptions): ChannelListener {
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  let client: pg.Client | null = null;
  let listening = false;
  let closed = false;
  let retryMs = 1_000;
  let retry: NodeJS.Timeout | undefined;

  const reconnectLater = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, maxRetryMs);
  };
  // A connection lost (or never made) is reported once, then replaced after a pause.
  const lost = (gone: pg.Client, error: unknown) => {
    if (client !== gone) return;
    client = null;
    listening = false;
    options.onError(error);
    gone.end().catch(() => undefined);
    reconnectLater();
  };
  const connect = async () => {
    const next = new pg.Client(postgresConnection(databaseUrl, { application_name: `listen:${channel}` }));
    client = next;
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) options.onMessage(message.payload);
    });
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error(`the connection listening on ${channel} ended`)));
    try {
      await next.connect();
      await next.query(`listen ${pg.escapeIdentifier(channel)}`);
      // Closed meanwhile: nothing more to hear.
      if (client !== next) return void next.end().catch(() => undefined);
      retryMs = 1_000;
      listening = true;
      options.onListening();
    } catch (error) {
      lost(next, error);
    }
  };
  void connect();

  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      listening = false;
      clearTimeout(retry);
      const last = client;
      client = null;
      await last?.end().catch(() => undefined);
    },
  };
}
