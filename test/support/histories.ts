import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureTemporalCli } from '../../src/dev/temporal-dev-server.js';

/**
 * With RECORD_HISTORIES=1 (`npm run histories:record`), a test keeps the history of a run
 * it drove in test/histories/ (the Temporal CLI's JSON), where test/replay.test.ts replays
 * it against the current workflow code: a change that would break runs under way fails CI.
 */
export async function recordHistory(workflowId: string, name: string, runId?: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const json = execFileSync(
    ensureTemporalCli(path.resolve('.cache')),
    ['workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json', '--address', process.env.TEMPORAL_ADDRESS!, '--namespace', process.env.TEMPORAL_NAMESPACE ?? 'default'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  await writeFile(path.resolve('test/histories', `${name}.json`), json);
}
