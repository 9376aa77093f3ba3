import type { Client } from '@temporalio/client';
import { PlaybookException, PlaybookExceptionCode } from '../services/playbooks/playbook.exception.js';
import { unansweredDetails, unansweredMessage, withinDeadline } from './deadline.js';

/** What a call about playbook runs or campaigns (both on the playbooks' task queue) that got no answer says (see unansweredMessage). */
export function playbookCallUnanswered(client: Client, taskQueue: string, how: { timedOut?: boolean; needsWorker?: boolean }): Promise<string> {
  return unansweredMessage(client, taskQueue, 'The playbook engine', "the playbooks' work", how);
}

/** A call about playbook runs or campaigns within `timeoutMs`; PLAYBOOK_ENGINE_UNAVAILABLE, saying why, when it got no answer (`needsWorker`: a worker answers it). */
export function withinPlaybookDeadline<T>(client: Client, taskQueue: string, timeoutMs: number, call: () => Promise<T>, needsWorker = false): Promise<T> {
  return withinDeadline(client, timeoutMs, call, async (timedOut) => new PlaybookException(PlaybookExceptionCode.EngineUnavailable, await playbookCallUnanswered(client, taskQueue, { timedOut, needsWorker }), unansweredDetails(timedOut)));
}
