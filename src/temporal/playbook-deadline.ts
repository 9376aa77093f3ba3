import type { Client } from '@temporalio/client';
import { PlaybookException, PlaybookExceptionCode } from '../services/playbooks/playbook.exception.js';
import { unansweredMessage, withinDeadline } from './deadline.js';

/** What a call about playbook runs or campaigns (both on the playbooks' task queue) that got no answer says: no worker, or no Temporal. */
export function playbookCallUnanswered(client: Client, taskQueue: string, timedOut = true): Promise<string> {
  return unansweredMessage(client, taskQueue, 'The playbook engine', "the playbooks' work", timedOut);
}

/** A call about playbook runs or campaigns within `timeoutMs`; PLAYBOOK_ENGINE_UNAVAILABLE, saying why, when it got no answer. */
export function withinPlaybookDeadline<T>(client: Client, taskQueue: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  return withinDeadline(client, timeoutMs, call, async (timedOut) => new PlaybookException(PlaybookExceptionCode.EngineUnavailable, await playbookCallUnanswered(client, taskQueue, timedOut), {}));
}
