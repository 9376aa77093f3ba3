import { isTopicKey } from '../../domain/complaints/topic.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';

/** A complaint topic as the playbooks name it (the fix-issue run's and fix case's key). */
export function assertTopic(topic: string): void {
  if (!isTopicKey(topic)) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, `"${topic}" is not a complaint topic key (lowercase words joined by hyphens)`, { field: 'topic' });
}
