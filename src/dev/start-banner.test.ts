import { startBanner, type StartBannerFacts } from './start-banner.js';

const facts: StartBannerFacts = {
  apiUrl: 'http://127.0.0.1:4198/graphql',
  ide: true,
  temporalUi: 'http://127.0.0.1:8298',
  temporalAddress: '127.0.0.1:7298',
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
  const plain = startBanner({ ...facts, ide: false, workerMetricsPort: 0, temporalUi: null, messagesFile: null, devKeys: null });
  expect(plain).toContain('  GraphQL API:            http://127.0.0.1:4198/graphql');
  expect(plain.join('\n')).not.toContain('GraphiQL');
  expect(plain).toContain('  Metrics:                http://127.0.0.1:4198/metrics (API)');
  expect(plain).toContain('  Temporal:               127.0.0.1:7298');
  expect(plain).toContain('  API keys: from API_KEYS');
});

