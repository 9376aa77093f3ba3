import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, DummyDriver } from 'kysely';
import { CustomerStatus } from '../../entities/index.js';
import { ScoreKind } from '../../domain/scoring/score-kind.js';
import type { ServiceTier } from '../../entities/index.js';
import { CustomerSortField, assertCustomerFilter, assertCustomerSort, customerSortKey, customerListTag, customerWhere, escapeLike, storedFilter } from './customer-query.js';
import { CustomerException, CustomerExceptionCode } from './customer.exception.js';

// Compiles SQL without a database, to check what the filters and sorts produce.
const db = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const compile = (raw: Parameters<typeof db.executeQuery>[0] | { compile(db: Kysely<unknown>): { sql: string; parameters: readonly unknown[] } }) =>
  (raw as { compile(db: Kysely<unknown>): { sql: string; parameters: readonly unknown[] } }).compile(db);

describe('customerWhere', () => {
  it('is always true without a filter', () => {
    expect(compile(customerWhere()).sql).toBe('(true)');
  });

  it('passes every value as a parameter, never as SQL text', () => {
    const { sql, parameters } = compile(customerWhere({ status: [CustomerStatus.Active], search: "O'Brien; drop table x", segment: ['At risk'] }));
    expect(sql).not.toContain("O'Brien");
    expect(parameters).toEqual([['active'], "%o'brien; drop table x%", 'At risk']);
  });

  it('compares one band with = (so its index serves the list order) and several with any', () => {
    expect(compile(customerWhere({ riskBand: ['high'] })).sql).toBe('(true and c.churn_band = $1)');
    const several = compile(customerWhere({ segment: ['Champions', 'Loyal'] }));
    expect(several.sql).toBe('(true and c.rfm_segment = any($1::text[]))');
    expect(several.parameters).toEqual([['Champions', 'Loyal']]);
  });

  it('refuses a segment or risk band that does not exist, naming the ones that do', () => {
    const refused = (filter: Parameters<typeof assertCustomerFilter>[0]) => {
      try {
        assertCustomerFilter(filter);
      } catch (error) {
        return error as CustomerException;
      }
      throw new Error('not refused');
    };
    const segment = refused({ segment: ['Champions', 'Champignons'] });
    expect(segment).toBeInstanceOf(CustomerException);
    expect(segment.code).toBe(CustomerExceptionCode.InvalidInput);
    expect(segment.details).toEqual({ field: 'filter.segment' });
    expect(segment.message).toMatch(/^Unknown segment "Champignons"; one of: Champions, Loyal, .*Can't lose them, Hibernating, Lost$/);
    expect(refused({ riskBand: ['hihg'] }).details).toEqual({ field: 'filter.riskBand' });
    // Bands are the stored spellings, as scores show them.
    expect(() => assertCustomerFilter({ riskBand: ['High'] })).toThrow(CustomerException);
    expect(() => assertCustomerFilter({ segment: ["Can't lose them", 'At risk'], riskBand: ['low', 'medium', 'high'] })).not.toThrow();
  });

  it('refuses a text search longer than 200 characters, counted in characters', () => {
    expect(() => assertCustomerFilter({ search: 'a'.repeat(200) })).not.toThrow();
    expect(() => assertCustomerFilter({ search: '😀'.repeat(200) })).not.toThrow();
    expect(() => assertCustomerFilter({ search: 'a'.repeat(201) })).toThrow(expect.objectContaining({ code: CustomerExceptionCode.InvalidInput, details: { field: 'filter.search' } }));
  });

  it('narrows to customers whose score moved lately, an exists on score_band_change with its values as parameters', () => {
    const { sql, parameters } = compile(customerWhere({ bandMoved: { kind: ScoreKind.ChurnRisk, from: ['low'], to: ['high'], withinDays: 7 } }));
    expect(sql).toBe(
      '(true and exists (select 1 from score_band_change b where b.customer_id = c.id and b.kind = $1 and b.changed_at >= now() - make_interval(days => $2::int) and b.previous = any($3::text[]) and b.band = any($4::text[])))',
    );
    expect(parameters).toEqual(['churn-risk', 7, ['low'], ['high']]);
    expect(storedFilter({ bandMoved: { kind: ScoreKind.ChurnRisk, from: null, to: ['high'], withinDays: 7 } })).toEqual({ bandMoved: { kind: 'churn-risk', to: ['high'], withinDays: 7 } });
  });

  it('narrows by current scores, each condition an exists on current_score with its values as parameters', () => {
    const { sql, parameters } = compile(
      customerWhere({ scores: [{ kind: ScoreKind.PaymentLoyalty, bands: ['loyal'] }, { kind: ScoreKind.Clv, min: 50_000 }, { kind: ScoreKind.ChurnRisk, min: 0.25, max: 0.5, bands: ['medium', 'high'] }] }),
    );
    expect(sql).toBe(
      '(true and exists (select 1 from current_score s where s.customer_id = c.id and s.kind = $1 and s.band = $2)' +
        ' and exists (select 1 from current_score s where s.customer_id = c.id and s.kind = $3 and s.value >= $4)' +
        ' and exists (select 1 from current_score s where s.customer_id = c.id and s.kind = $5 and s.band = any($6::text[]) and s.value >= $7 and s.value <= $8))',
    );
    expect(parameters).toEqual(['payment-loyalty', 'loyal', 'clv', 50_000, 'churn-risk', ['medium', 'high'], 0.25, 0.5]);
  });

  it('refuses score conditions that cannot hold', () => {
    const fieldOf = (scores: NonNullable<Parameters<typeof assertCustomerFilter>[0]>['scores']) => {
      try {
        assertCustomerFilter({ scores });
      } catch (error) {
        return (error as CustomerException).details.field;
      }
      return null;
    };
    expect(fieldOf([{ kind: ScoreKind.Rfm, bands: ['Champions'] }, { kind: ScoreKind.PaymentLoyalty, bands: ['loyal', 'Loyal'] }])).toBe('filter.scores.1.bands');
    expect(fieldOf([{ kind: ScoreKind.Clv, bands: ['high'] }])).toBe('filter.scores.0.bands');
    expect(() => assertCustomerFilter({ scores: [{ kind: ScoreKind.PaymentLoyalty, bands: ['Loyal'] }] })).toThrow('Unknown PaymentLoyalty band "Loyal"; one of: loyal, regular, at-risk, new');
    expect(fieldOf([{ kind: ScoreKind.Clv, min: 10, max: 5 }])).toBe('filter.scores.0.min');
    expect(fieldOf([{ kind: ScoreKind.Clv, max: Number.NaN }])).toBe('filter.scores.0.max');
    expect(fieldOf(Array.from({ length: 9 }, () => ({ kind: ScoreKind.Clv })))).toBe('filter.scores');
    expect(fieldOf([{ kind: ScoreKind.Clv, min: 5, max: 5 }, { kind: ScoreKind.Profitability, bands: ['loss-making'] }])).toBeNull();
  });

  it('refuses an acquisition window that ends before it begins, and takes one of a single day', () => {
    expect(() => assertCustomerFilter({ acquiredFrom: '2026-01-01', acquiredTo: '2025-01-01' })).toThrow('acquiredFrom (2026-01-01) is after acquiredTo (2025-01-01)');
    expect(() => assertCustomerFilter({ acquiredFrom: '2026-01-01', acquiredTo: '2026-01-01' })).not.toThrow();
    expect(() => assertCustomerFilter({ acquiredFrom: '2026-01-01' })).not.toThrow();
  });

  it('refuses an acquisition day before 1900-01-01, a typo as for every business date, on either end', () => {
    const refusal = (filter: Parameters<typeof assertCustomerFilter>[0]) => {
      try {
        assertCustomerFilter(filter);
        return null;
      } catch (error) {
        return [(error as CustomerException).message, (error as CustomerException).details.field];
      }
    };
    expect(refusal({ acquiredFrom: '0001-12-01' })).toEqual(['acquiredFrom must not be before 1900-01-01', 'filter.acquiredFrom']);
    expect(refusal({ acquiredFrom: '0001-12-01', acquiredTo: '2026-12-31' })).toEqual(['acquiredFrom must not be before 1900-01-01', 'filter.acquiredFrom']);
    expect(refusal({ acquiredTo: '1899-12-31' })).toEqual(['acquiredTo must not be before 1900-01-01', 'filter.acquiredTo']);
    expect(refusal({ acquiredFrom: '1900-01-01', acquiredTo: '1900-01-01' })).toBeNull();
  });

  it('narrows by open complaints both ways', () => {
    expect(compile(customerWhere({ hasOpenComplaint: true })).sql).toMatch(/and exists \(select 1 from complaint/);
    expect(compile(customerWhere({ hasOpenComplaint: false })).sql).toMatch(/and not exists \(select 1 from complaint/);
    expect(compile(customerWhere({ hasOpenIssue: true })).sql).toMatch(/and \(exists \(select 1 from complaint.* or exists \(select 1 from fix_case/);
  });
});

describe('customer sort', () => {
  it('refuses a score kind with another sort field, naming that field as the API spells it', () => {
    expect(() => assertCustomerSort({ field: CustomerSortField.Name, direction: 'asc', scoreKind: ScoreKind.Clv })).toThrow('scoreKind sorts by a score: give it with field Score, not Name');
    expect(() => assertCustomerSort({ field: CustomerSortField.Score, direction: 'asc', scoreKind: ScoreKind.Clv })).not.toThrow();
  });

  it('tags cursors with field, score kind and direction, and a filtered list with its filter', () => {
    const byName = { field: CustomerSortField.Name, direction: 'asc' } as const;
    expect(customerListTag(byName)).toBe('customers:name:asc');
    expect(customerListTag({ field: CustomerSortField.Score, scoreKind: ScoreKind.Clv, direction: 'desc' })).toBe('customers:score:clv:desc');
    // An empty filter is no filter; the same filter, its lists in any order, is one tag; another filter another.
    expect(customerListTag(byName, { status: [], search: '  ' })).toBe('customers:name:asc');
    const premium = customerListTag(byName, { serviceTier: ['premium' as ServiceTier, 'basic' as ServiceTier], search: 'anna' });
    expect(premium).toMatch(/^customers:name:asc:[\w-]{12}$/);
    expect(customerListTag(byName, { search: ' anna ', serviceTier: ['basic' as ServiceTier, 'premium' as ServiceTier] })).toBe(premium);
    expect(customerListTag(byName, { serviceTier: ['basic' as ServiceTier], search: 'anna' })).not.toBe(premium);
    const churn = { kind: ScoreKind.ChurnRisk, bands: ['high'] };
    const clv = { kind: ScoreKind.Clv, min: 100 };
    expect(customerListTag(byName, { scores: [churn, clv] })).toBe(customerListTag(byName, { scores: [clv, churn] }));
  });

  it('sorts row fields by an expression and leaves scores to the two-part keyset', () => {
    expect(compile(customerSortKey({ field: CustomerSortField.Revenue, direction: 'desc' })!.expr).sql).toBe('c.revenue_minor');
    expect(customerSortKey({ field: CustomerSortField.Score, direction: 'desc' })).toBeNull();
  });
});

it('escapes LIKE wildcards in search text', () => {
  expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
});

describe('storedFilter', () => {
  it('keeps only the conditions given, in one order, so equal filters are stored alike', () => {
    const a = storedFilter({ search: '  anna ', status: [CustomerStatus.Active], segment: [], riskBand: null, marketingConsent: false, scores: [{ max: 10, kind: ScoreKind.Clv, bands: null }] });
    const b = storedFilter({ scores: [{ kind: ScoreKind.Clv, max: 10 }], marketingConsent: false, status: [CustomerStatus.Active], search: 'anna' });
    expect(a).toEqual({ status: ['active'], search: 'anna', marketingConsent: false, scores: [{ kind: ScoreKind.Clv, max: 10 }] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('leaves out a blank search and keeps a zero bound', () => {
    expect(storedFilter({ search: '   ', scores: [{ kind: ScoreKind.Profitability, min: 0 }] })).toEqual({ scores: [{ kind: ScoreKind.Profitability, min: 0 }] });
    expect(storedFilter({})).toEqual({});
  });
});
