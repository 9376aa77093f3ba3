/** A complaint topic is a key of lowercase words joined by hyphens ("delivery-delay"): the same problem has one name. */
export const TOPIC_KEY = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The longest topic key (recordComplaint, the import). */
export const TOPIC_MAX_LENGTH = 100;

export const isTopicKey = (topic: string): boolean => TOPIC_KEY.test(topic);
