/** A complaint topic is a key of lowercase words joined by hyphens ("delivery-delay"): the same problem has one name. */
export const TOPIC_KEY = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The longest topic key (recordComplaint, the playbooks, the import). */
export const TOPIC_MAX_LENGTH = 100;

/** What is wrong with a topic that is not a key, after the topic as written (the import's message too). */
export const NOT_A_TOPIC_KEY = 'is not a topic key (lowercase words joined by hyphens, e.g. delivery-delay)';

const isTopicKey = (topic: string): boolean => TOPIC_KEY.test(topic);

/** The key a topic is stored and matched under, whatever its case and spacing: "Delivery-Delay " is "delivery-delay". */
export const topicKey = (topic: string): string => topic.trim().toLowerCase();

/**
 * Why a topic as a person or file writes it names no problem, or null when its key is one.
 * A topic longer than any key names nothing, and is not repeated back.
 */
export function topicProblem(topic: string): string | null {
  if (topic.length > TOPIC_MAX_LENGTH) return `topic must be at most ${TOPIC_MAX_LENGTH} characters`;
  return isTopicKey(topicKey(topic)) ? null : `"${topic}" ${NOT_A_TOPIC_KEY}`;
}
