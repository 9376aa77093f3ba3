import { createApiMetrics } from './metrics.js';

describe('operations status in /metrics', () => {
  it('reports the status unread within a few seconds when the database does not answer, and starts no second read meanwhile', async () => {
    let reads = 0;
    // A hung database: the read never settles.
    const { registry } = createApiMetrics({ status: { database: () => (reads++, new Promise(() => undefined)) } });
    const started = Date.now();
    const first = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(first).toMatch(/^retention_operations_status_up 0$/m);
    expect(first).not.toMatch(/^retention_outbox_messages/m);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await registry.metrics()).toMatch(/^retention_operations_status_up 0$/m);
    expect(reads).toBe(1);
  }, 15_000);
});
