import { startBanner, type StartBannerFacts } from './start-banner.js';

const facts: StartBannerFacts = {
  apiUrl: 'http://127.0.0.1:4198/graphql',
  ide: true,
  temporalUi: 'http://127.0.0.1:8298',
  temporalAddress: '127.0.0.1:7298',
  embeddedTemporal: true,
  workerMetricsPort: 9598,
  embeddedDatabase: 'postgres://retention:retention@127.0.0.1:54398/retention',
  messagesFile: '/data/messages.log',
  devKeys: { viewer: 'dev-viewer-1', admin: 'dev-admin-1' },
  devKeysFile: '/data/dev-api-keys.json',
};

it('names GraphiQL only where GRAPHQL_IDE serves it, and gives both metrics URLs (QA 71 F13)', () => {
  const banner = startBanner(facts);
  expect(banner).toContain('  GraphQL API + GraphiQL: http://127.0.0.1:4198/graphql');
  expect(banner).toContain('  Health:                 http://127.0.0.1:4198/readyz');
  expect(banner).toContain('  Metrics:                http://127.0.0.1:4198/metrics (API), http://127.0.0.1:9598/metrics (worker)');
  expect(banner.at(-2)).toBe('Press Ctrl-C to stop.');
  const plain = startBanner({ ...facts, ide: false, workerMetricsPort: 0, temporalUi: null, embeddedTemporal: false, messagesFile: null, devKeys: null });
  expect(plain).toContain('  GraphQL API:            http://127.0.0.1:4198/graphql');
  expect(plain.join('\n')).not.toContain('GraphiQL');
  expect(plain).toContain('  Metrics:                http://127.0.0.1:4198/metrics (API)');
  expect(plain).toContain('  Temporal:               127.0.0.1:7298');
  expect(plain).toContain('  API keys: from API_KEYS');
});


/**
 * `npm run migrate` registers the search attributes, so it needs TEMPORAL_ADDRESS as well as DATABASE_URL: with only the
 * exported DATABASE_URL it waited on 127.0.0.1:7233, or registered them on another checkout's server there.
 */
it('says the Temporal address it started, to export for npm run migrate', () => {
  const banner = startBanner(facts);
  expect(banner).toContain('  Temporal UI:            http://127.0.0.1:8298');
  expect(banner).toContain('  Temporal:               127.0.0.1:7298 (npm run migrate needs it too: export TEMPORAL_ADDRESS=127.0.0.1:7298)');
  expect(banner).toContain(
    '  PostgreSQL:             postgres://retention:retention@127.0.0.1:54398/retention (export DATABASE_URL=postgres://retention:retention@127.0.0.1:54398/retention for npm run import, demo-data, migrate)',
  );
  // A server TEMPORAL_ADDRESS named: the user set it already.
  expect(startBanner({ ...facts, temporalUi: null, embeddedTemporal: false })).toContain('  Temporal:               127.0.0.1:7298');
});
