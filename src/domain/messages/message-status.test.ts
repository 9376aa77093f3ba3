import { messageStatus, notReached } from './message-status.js';

const now = new Date('2026-12-01T12:00:00Z');
const later = new Date('2026-12-01T20:00:00Z');

describe('messageStatus', () => {
  it('says sent or suppressed whatever else happened before', () => {
    expect(messageStatus({ sentAt: now, attempts: 2, lastError: 'timeout', sendAfter: later }, now, 8)).toBe('sent');
    expect(messageStatus({ suppressedAt: now, attempts: 0, sendAfter: later }, now, 8)).toBe('suppressed');
  });

  it('says held for a reminder a promise to pay holds back while its run goes on', () => {
    expect(messageStatus({ suppressedAt: now, attempts: 0, heldByPromise: true }, now, 8)).toBe('held');
    expect(messageStatus({ sentAt: now, suppressedAt: now, attempts: 1, heldByPromise: true }, now, 8)).toBe('sent');
  });

  it('tells a refused message waiting for its retry from one held for quiet hours', () => {
    expect(messageStatus({ attempts: 1, lastError: '550 mailbox unavailable', sendAfter: later }, now, 8)).toBe('failing');
    expect(messageStatus({ attempts: 0, sendAfter: later }, now, 8)).toBe('held');
  });

  it('gives up on a message the channel refused the last allowed time: it waits for a person', () => {
    expect(messageStatus({ attempts: 8, lastError: '550 mailbox unavailable', sendAfter: later }, now, 8)).toBe('undeliverable');
    expect(messageStatus({ attempts: 7, lastError: '550 mailbox unavailable', sendAfter: later }, now, 8)).toBe('failing');
  });

  it('gives up at once on a message the channel refused for good, whatever its attempts', () => {
    expect(messageStatus({ attempts: 1, lastError: '550 5.1.1 user unknown', refusedAt: now }, now, 8)).toBe('undeliverable');
  });

  it('gives up at once on a message whose hand-over was interrupted (it may have gone out): a person decides', () => {
    expect(messageStatus({ attempts: 1, lastError: 'The worker stopped while handing this message to the channel', interruptedAt: now }, now, 8)).toBe('undeliverable');
  });

  it('is pending when nothing holds it back', () => {
    expect(messageStatus({ attempts: 0 }, now, 8)).toBe('pending');
    expect(messageStatus({ attempts: 0, sendAfter: new Date('2026-12-01T08:00:00Z') }, now, 8)).toBe('pending');
  });
});

describe('notReached', () => {
  const at = new Date('2026-12-01T10:00:00Z');
  it('says why a run\'s message has not reached its customer, first reason first, and nothing once sent', () => {
    expect(notReached(null, 5)).toBe('not-written');
    expect(notReached({ attempts: 0, sentAt: at, suppressedAt: at }, 5)).toBeNull();
    expect(notReached({ attempts: 5, suppressedAt: at, refusedAt: at }, 5)).toBe('held-back');
    expect(notReached({ attempts: 1, refusedAt: at, interruptedAt: at }, 5)).toBe('refused');
    expect(notReached({ attempts: 1, interruptedAt: at }, 5)).toBe('interrupted');
    expect(notReached({ attempts: 5 }, 5)).toBe('given-up');
    expect(notReached({ attempts: 4, lastError: 'timeout' }, 5)).toBe('queued');
  });
});
