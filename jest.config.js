/**
 * Jest runs the compiled ESM output in dist/ (tsc emits the decorator metadata
 * type-graphql and MikroORM need), so no TypeScript transform is involved.
 * `npm test` builds first. The global setup starts PostgreSQL and a Temporal
 * dev server once per run unless DATABASE_URL / TEMPORAL_ADDRESS are set.
 */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/dist'],
  testMatch: ['**/*.test.js'],
  transform: {},
  globalSetup: '<rootDir>/dist/test/support/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/support/global-teardown.js',
  testTimeout: 60_000,
  maxWorkers: 2,
};
