/**
 * Runs `stop` on the first SIGINT or SIGTERM and ignores the ones that follow while it runs.
 * Ctrl-C on `npm start` or `npm run start:api` reaches the process twice (the terminal sends it
 * to the whole process group, and npm passes its own on): a handler taken off after the first
 * would let the second end the process halfway through stopping, leaving the worker undrained
 * and the servers running. (The PostgreSQL and Temporal servers `npm start` starts are not in that
 * group: the terminal's Ctrl-C does not reach them, and they stop after the worker has drained.)
 */
export function onStopSignal(stop: (signal: NodeJS.Signals) => unknown, onRepeat?: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return onRepeat?.(signal);
      stopping = true;
      void stop(signal);
    });
  }
}
