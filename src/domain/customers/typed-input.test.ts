import type { Identity } from './personal-mentions.js';
import { typedInputErased, typedTexts } from './typed-input.js';

const priya: Identity = { names: ['Priya Larsen'], emails: ['priya.larsen@example.com'], phones: ['+44 20 7946 0001'] };

describe('typedInputErased', () => {
  it("keeps the members a run reads as data, without the customer's name, and replaces all other free text whole", () => {
    expect(typedInputErased({ update: 'promiseToPay' }, [{ until: '2026-12-20', recordedBy: 'Pri (her nickname) called' }], priya)).toEqual([{ until: '2026-12-20', recordedBy: '[erased]' }]);
    expect(typedInputErased({ update: 'decideOffboarding' }, [{ approve: true, decidedBy: 'ops-anna for Priya', reason: 'loss-making', extra: 7 }], priya)).toEqual([
      { approve: true, decidedBy: 'ops-anna for [erased]', reason: '[erased]', extra: '[erased]' },
    ]);
    // An ignored signal's input is read as nothing: even a member named as another message's data goes.
    expect(typedInputErased({ signal: 'promiseToPay', ignored: 'no such signal' }, [{ until: '2026-12-20' }], priya)).toEqual([{ until: '[erased]' }]);
    // Keys stay (which members were typed), without her name; booleans and nulls stay; nested values are free text.
    expect(typedInputErased({ signal: 'welcomeConfirmed' }, ['hi', { 'Priya ok': true, more: [null, { phone: 442079460001 }] }], priya)).toEqual(['[erased]', { '[erased] ok': true, more: [null, { phone: '[erased]' }] }]);
    // An input too long to keep whole keeps its length, not its start.
    expect(typedInputErased({ signal: 'x' }, { truncated: true, jsonLength: 20_000, start: '["Priya' }, priya)).toEqual({ truncated: true, jsonLength: 20_000, start: '[erased]' });
    // Erasing again changes nothing.
    const once = typedInputErased({ update: 'promiseToPay' }, [{ until: '2026-12-20', recordedBy: 'x' }], priya);
    expect(typedInputErased({ update: 'promiseToPay' }, once, priya)).toEqual(once);
  });
});

describe('typedTexts', () => {
  it('lists the free text the erasure replaces, by member, but an offboarding decision’s reason (an offboarding note) and what is erased already', () => {
    expect(typedTexts({ update: 'promiseToPay' }, [{ until: '2026-12-20', recordedBy: 'spoke with her' }])).toEqual([{ member: 'recordedBy', text: 'spoke with her' }]);
    expect(typedTexts({ signal: 'welcomeConfirmd', ignored: 'no such signal' }, ['says hi', { n: 2 }])).toEqual([
      { member: '', text: 'says hi' },
      { member: '1.n', text: '2' },
    ]);
    expect(typedTexts({ update: 'decideOffboarding' }, [{ approve: false, decidedBy: 'ops-anna', reason: 'keeps paying' }])).toEqual([]);
    expect(typedTexts({ update: 'promiseToPay' }, [{ until: '2026-12-20', recordedBy: '[erased]' }])).toEqual([]);
  });
});
