import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The compiled workflows entry (dist/workflows/index.js). */
export const workflowsPath = path.resolve(here, '../../workflows/index.js');
/** Written by `npm run build`, so workers start without bundling. */
export const prebuiltBundlePath = path.resolve(here, '../../workflow-bundle.js');

async function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}

export async function writeWorkflowBundle(target = prebuiltBundlePath): Promise<string> {
  const { code } = await buildWorkflowBundle();
  await writeFile(target, code);
  return target;
}

export function hasPrebuiltBundle(): boolean {
  return existsSync(prebuiltBundlePath);
}
