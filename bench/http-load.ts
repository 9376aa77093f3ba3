import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { waitFor } from '../src/dev/ports.js';
import { median } from './measure.js';

/** The HTTP benchmarks' parts: servers as their own processes, loaded from the benchmark's process with autocannon. */

export type Target = { name: string; url: string; body: string; headers: Record<string, string> };
export type Measured = { rps: number; p50: number; p99: number };
export type Load = { connections: number };

/** A server of the benchmark as its own process; its stderr is passed on, named. */
export function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
  return child;
}

/** Waits until the target answers its request without errors (a GraphQL error fails at once: the query is wrong). */
export async function ready({ url, body, headers }: Target): Promise<void> {
  await waitFor(
    async () => {
      try {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        const json = (await r.json()) as { errors?: unknown; data?: unknown };
        if (json.errors) throw new Error(`${url}: ${JSON.stringify(json.errors).slice(0, 500)}`);
        return r.ok;
      } catch (error) {
        if (error instanceof Error && error.message.startsWith(url)) throw error;
        return false;
      }
    },
    url,
    120_000,
    500,
  );
}

const loadOptions = ({ url, body, headers }: Target, { connections }: Load) => ({ url, method: 'POST' as const, headers: { 'content-type': 'application/json', ...headers }, body, connections });

/** Warm-up: JIT, plan caches, pools. */
async function warm(target: Target, load: Load): Promise<void> {
  await autocannon({ ...loadOptions(target, load), duration: 5 });
}

async function measure(target: Target, load: Load, seconds: number): Promise<Measured & { requests: number }> {
  const result = await autocannon({ ...loadOptions(target, load), duration: seconds });
  if (result.non2xx || result.errors) throw new Error(`${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99, p50: result.latency.p50, requests: result.requests.total };
}

/** One target for `seconds` after a warm-up. */
export async function loadOne(target: Target, load: Load, seconds: number): Promise<Measured> {
  await warm(target, load);
  return measure(target, load, seconds);
}

/**
 * Each target in turn, `rounds` times over `seconds` in all, so a slow minute of this shared
 * machine lands on all of them; throughput over all rounds, latency percentiles as the median
 * of the rounds', and each round's throughput.
 */
export async function loadInterleaved(targets: Target[], load: Load, seconds: number, rounds: number): Promise<Array<Measured & { perRound: number[] }>> {
  for (const t of targets) await warm(t, load);
  const samples = targets.map(() => [] as Array<Measured & { requests: number }>);
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) {
      console.error(`round ${round + 1}/${rounds}: ${t.name}...`);
      samples[i].push(await measure(t, load, seconds / rounds));
    }
  }
  return samples.map((rs) => ({
    rps: rs.reduce((n, r) => n + r.requests, 0) / seconds,
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
    perRound: rs.map((r) => r.rps),
  }));
}
