import { defineQuery } from '@temporalio/workflow';

/** What every playbook's `state` query answers at least, whatever else its state holds. */
export interface PlaybookStateSummary {
  step: string;
  outcome: string | null;
  deadline: string | null;
  policyVersion: number;
}

/** The `state` query of any playbook, for callers that do not know which playbook a run is. */
export const anyPlaybookStateQuery = defineQuery<PlaybookStateSummary>('state');
