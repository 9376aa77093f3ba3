import { Role } from '../../src/domain/auth/roles.js';
import { ScoringRunDocument, StartRescoreDocument } from '../__generated__/graphql.js';
import { eventually } from './eventually.js';
import type { TestStack } from './stack.js';

/** A rescore as of `asOf` started through the API by an admin, once it has completed (its run as the API shows it). */
export async function completedRescore(stack: TestStack, asOf: string, timeoutMs = 120_000) {
  const started = await stack.gql(StartRescoreDocument, { asOf }, Role.Admin);
  expect(started.errors).toBeUndefined();
  const done = await eventually(
    () => stack.gql(ScoringRunDocument, { id: started.data!.startRescore.id }, Role.Viewer),
    (r) => r.data?.scoringRun?.phase === 'Completed',
    timeoutMs,
  );
  return done.data!.scoringRun!;
}
