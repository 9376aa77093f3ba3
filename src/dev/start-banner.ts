/** What `npm start` prints once everything runs (README "Run it"). */
export interface StartBannerFacts {
  /** The API's GraphQL URL (`http://127.0.0.1:4000/graphql`). */
  apiUrl: string;
  /** GRAPHQL_IDE: GraphiQL is served on the GraphQL URL. */
  ide: boolean;
  temporalUi: string | null;
  temporalAddress: string;
  /**
   * Temporal is the dev server `npm start` runs (TEMPORAL_ADDRESS was not set): its address is said with the export
   * `npm run migrate` needs, which otherwise reaches for 127.0.0.1:7233, another checkout's server or none.
   */
  embeddedTemporal: boolean;
  /** WORKER_METRICS_PORT; 0 when off. */
  workerMetricsPort: number;
  embeddedDatabase: string | null;
  /** The file messages are written to (MESSAGE_CHANNEL=log), else null. */
  messagesFile: string | null;
  devKeys: Record<string, string> | null;
  devKeysFile: string;
}

/**
 * The banner's lines: GraphiQL only where GRAPHQL_IDE serves it, and both metrics endpoints README "Logs and metrics"
 * points operators at. The worker's are on the API's host name (it binds loopback for localhost, as the API).
 */
export function startBanner(f: StartBannerFacts): string[] {
  const api = new URL(f.apiUrl);
  const at = (label: string, value: string) => `  ${`${label}:`.padEnd(24)}${value}`;
  return [
    '',
    'Retention platform is running.',
    at(f.ide ? 'GraphQL API + GraphiQL' : 'GraphQL API', f.apiUrl),
    ...(f.temporalUi ? [at('Temporal UI', f.temporalUi)] : []),
    at('Temporal', f.embeddedTemporal ? `${f.temporalAddress} (npm run migrate needs it too: export TEMPORAL_ADDRESS=${f.temporalAddress})` : f.temporalAddress),
    at('Health', new URL('/readyz', api).href),
    at('Metrics', `${new URL('/metrics', api).href} (API)${f.workerMetricsPort ? `, http://${api.hostname}:${f.workerMetricsPort}/metrics (worker)` : ''}`),
    ...(f.embeddedDatabase ? [at('PostgreSQL', `${f.embeddedDatabase} (export DATABASE_URL=${f.embeddedDatabase} for npm run import, demo-data, migrate)`)] : []),
    ...(f.messagesFile ? [at('Messages sent', `${f.messagesFile} (JSON lines; marketing ends with its unsubscribe link)`)] : []),
    f.devKeys ? `  Dev API keys (also in ${f.devKeysFile}):` : '  API keys: from API_KEYS',
    ...(f.devKeys ? Object.entries(f.devKeys).map(([role, key]) => `    ${role.padEnd(9)} ${key}`) : []),
    'Press Ctrl-C to stop.',
    '',
  ];
}
