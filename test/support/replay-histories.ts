import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { prebuiltBundlePath } from '../../src/temporal/workflow-bundle.js';

/**
 * Replays every history in the given folder against the prebuilt workflow bundle and prints
 * one JSON line per history. Runs as its own process: the SDK's protobuf classes do not
 * survive jest's module sandbox.
 */
const dir = process.argv[2];
let failed = 0;
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
  const history = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
  try {
    await Worker.runReplayHistory({ workflowBundle: { codePath: prebuiltBundlePath } }, history, file);
    console.log(JSON.stringify({ file, ok: true }));
  } catch (error) {
    failed++;
    console.log(JSON.stringify({ file, ok: false, error: `${(error as Error).name}: ${(error as Error).message}` }));
  }
}
process.exit(failed ? 1 : 0);
