import { onStopSignal } from '../../src/app/stop-signals.js';

/** Stands in for `npm start` in test/stop-signals.test.ts: stopping takes a while, and says when it is done. */
onStopSignal(
  async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.stdout.write('stopped\n');
    process.exit(0);
  },
  (signal) => process.stdout.write(`again: ${signal}\n`),
);
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
