/** The environment variable a test's worker process reads its policy overrides from (JSON: plain data, no functions). */
export const POLICY_OVERRIDES_ENV = 'TEST_POLICY_OVERRIDES';
