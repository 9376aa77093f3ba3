import { whenConnected } from './client.js';

describe('whenConnected', () => {
  it('tries again while the connection fails, waiting twice as long each time, and answers the first that works', async () => {
    const waits: Array<[string, number]> = [];
    let attempts = 0;
    const connected = await whenConnected(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error(`refused ${attempts}`);
        return 'connected';
      },
      (error, retryInMs) => waits.push([(error as Error).message, retryInMs]),
      10,
    );
    expect(connected).toBe('connected');
    expect(waits).toEqual([
      ['refused 1', 10],
      ['refused 2', 20],
    ]);
  });
});
