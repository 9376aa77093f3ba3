import { TOPIC_MAX_LENGTH, topicKey, topicProblem } from './topic.js';

describe('topicKey', () => {
  it('names a problem the same whatever its case and spacing', () => {
    expect(topicKey('delivery-delay')).toBe('delivery-delay');
    expect(topicKey('  Delivery-DELAY ')).toBe('delivery-delay');
  });
});

describe('topicProblem', () => {
  it('takes a key, in any case and with spaces around it', () => {
    expect(topicProblem('delivery-delay')).toBeNull();
    expect(topicProblem(' App-Login ')).toBeNull();
    expect(topicProblem('x')).toBeNull();
    expect(topicProblem('a'.repeat(TOPIC_MAX_LENGTH))).toBeNull();
  });

  it('refuses what is not lowercase words joined by hyphens, repeating the topic as written', () => {
    for (const topic of ['app login', 'billing_error', 'it broke!!', '-late', 'late-', 'late--again', '', '   ']) {
      expect(topicProblem(topic)).toBe(`"${topic}" is not a topic key (lowercase words joined by hyphens, e.g. delivery-delay)`);
    }
  });

  it('refuses a topic longer than a key without repeating it', () => {
    expect(topicProblem('a'.repeat(TOPIC_MAX_LENGTH + 1))).toBe(`topic must be at most ${TOPIC_MAX_LENGTH} characters`);
  });
});
