import { refusalText } from './refusal-text.js';

describe('refusal text', () => {
  const to = { name: 'Ada Lovelace', email: 'ada.lovelace@example.com', phone: '+44 20 7946 0000' };

  it('keeps what the gateway said without the recipient in it', () => {
    expect(refusalText("Can't send mail - all recipients were rejected: 550 5.1.1 <Ada.Lovelace@example.com>: Recipient address rejected", to)).toBe(
      "Can't send mail - all recipients were rejected: 550 5.1.1 <<recipient>>: Recipient address rejected",
    );
    expect(refusalText('SMS to +44 20 7946 0000 for ada lovelace failed (*)', to)).toBe('SMS to <recipient> for <recipient> failed (*)');
  });

  it('leaves a text without them as it is, and bounds its length', () => {
    expect(refusalText('connect ECONNREFUSED 127.0.0.1:25', to)).toBe('connect ECONNREFUSED 127.0.0.1:25');
    expect(refusalText('x'.repeat(2000), to)).toHaveLength(1000);
    expect(refusalText('timeout', { name: 'Al', email: 'al@example.com', phone: null })).toBe('timeout');
  });
});
