/**
 * `promise`, or a rejection once `ms` have passed without its answer (the work itself is not
 * stopped: a caller that gives up on a slow database or a Temporal that does not answer goes on;
 * a failure of it later is nobody's to handle). `late`: the rejection's error.
 */
export function withinTime<T>(promise: Promise<T>, ms: number, what = 'no answer', late: () => Error = () => new Error(`${what} within ${ms} ms`)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const tooLate = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
    timer.unref();
  });
  return Promise.race([promise, tooLate]).finally(() => clearTimeout(timer));
}
