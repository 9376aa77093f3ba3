import { defineQuery } from '@temporalio/workflow';
import type { PlaybookStateSummary } from '../src/domain/playbooks/run-state.js';

/** The `state` query of any playbook, for callers that do not know which playbook a run is. */
export const anyPlaybookStateQuery = defineQuery<PlaybookStateSummary>('state');
