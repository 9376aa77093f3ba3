import { isTopicKey } from '../../domain/complaints/topic.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';

/**
 * A complaint topic as the playbooks name it (the fix-issue run's and fix case's key), written
 * as a complaint's may be: "Delivery-Delay" is "delivery-delay", as recordComplaint and the import store it.
 */
export function topicKey(topic: string): string {
  const key = topic.trim().toLowerCase();
  if (!isTopicKey(key)) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, `"${topic}" is not a complaint topic key (lowercase words joined by hyphens)`, { field: 'topic' });
  return key;
}
