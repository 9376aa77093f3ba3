import { defaultDeliveryPolicy, retryAfterMs } from './delivery-policy.js';

describe('delivery retries', () => {
  it('wait a minute after the first failure, twice as long after each further one, at most six hours', () => {
    expect([1, 2, 3, 4].map((attempts) => retryAfterMs(defaultDeliveryPolicy, attempts))).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(retryAfterMs(defaultDeliveryPolicy, 20)).toBe(6 * 3_600_000);
  });

  it('come from plain data, so a policy given to the worker as JSON keeps them', () => {
    const sent = JSON.parse(JSON.stringify(defaultDeliveryPolicy)) as typeof defaultDeliveryPolicy;
    expect(sent).toEqual(defaultDeliveryPolicy);
    expect(retryAfterMs(sent, 3)).toBe(retryAfterMs(defaultDeliveryPolicy, 3));
  });
});
