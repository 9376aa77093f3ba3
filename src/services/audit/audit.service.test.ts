import { changedFields } from './audit.service.js';

describe('changedFields', () => {
  it('keeps only what changed, before and after', () => {
    expect(changedFields({ name: 'A', email: 'a@x', phone: null }, { name: 'B', email: 'a@x', phone: '1' })).toEqual({
      before: { name: 'A', phone: null },
      after: { name: 'B', phone: '1' },
    });
  });

  it('compares dates by value and stores them as ISO strings', () => {
    const t = '2026-01-02T03:04:05.000Z';
    expect(changedFields({ at: new Date(t) }, { at: new Date(t) })).toEqual({ before: {}, after: {} });
    expect(changedFields({ at: null }, { at: new Date(t) })).toEqual({ before: { at: null }, after: { at: t } });
  });

  it('treats undefined as null', () => {
    expect(changedFields({ phone: undefined }, { phone: null })).toEqual({ before: {}, after: {} });
  });
});
