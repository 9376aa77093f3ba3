/** Polls `fn` until `ok` holds for its value (a workflow reaching a step, a row appearing); fails with the last value after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Runs a pass that returns what it handled (the run reconciliation's workflow IDs) until one has
 * handled `id`, as its schedule would: Temporal's list of executions can show a close or a reset a
 * moment late on a loaded machine. The IDs of all the passes.
 */
export async function passesUntilHandled(pass: () => Promise<string[]>, id: string, timeoutMs = 20_000): Promise<string[]> {
  const handled: string[] = [];
  await eventually(async () => handled.push(...(await pass())), () => handled.includes(id), timeoutMs, 1_000);
  return handled;
}
