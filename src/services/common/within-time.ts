/**
 * `promise`, or a rejection once `ms` have passed without its answer (the work itself is not
 * stopped: a caller that gives up on a slow database or a Temporal that does not answer goes on).
 */
export function withinTime<T>(promise: Promise<T>, ms: number, what = 'no answer'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
