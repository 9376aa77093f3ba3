import { isTopicKey, TOPIC_MAX_LENGTH } from '../../domain/complaints/topic.js';
import { PlaybookException, PlaybookExceptionCode } from './playbook.exception.js';

/**
 * A complaint topic as the playbooks name it (the fix-issue run's and fix case's key), written
 * as a complaint's may be: "Delivery-Delay" is "delivery-delay", as recordComplaint and the import store it.
 * No longer than recordComplaint takes one (a longer one names no issue, and is not repeated back).
 */
export function topicKey(topic: string): string {
  if (topic.length > TOPIC_MAX_LENGTH) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, `topic must be at most ${TOPIC_MAX_LENGTH} characters`, { field: 'topic' });
  const key = topic.trim().toLowerCase();
  if (!isTopicKey(key)) throw new PlaybookException(PlaybookExceptionCode.InvalidInput, `"${topic}" is not a complaint topic key (lowercase words joined by hyphens)`, { field: 'topic' });
  return key;
}
