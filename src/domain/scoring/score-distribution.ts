import { SCORE_BANDS } from './score-bands.js';
import { ScoreKind } from './score-kind.js';

/** Customers of one score kind and band (null: scored without a band): how many, how many have a value, and its sum. */
export interface BandCountRow {
  kind: ScoreKind;
  band: string | null;
  customers: number;
  valued: number;
  valueSum: number;
}

export interface ScoreDistribution {
  kind: ScoreKind;
  /** Customers with this score (of `population`): those of the bands and `withoutBand` together. */
  customers: number;
  /** Mean and median of their values (null when none has a value, and for RFM, whose values are codes such as 455, not amounts). */
  average: number | null;
  median: number | null;
  /** Every band the score can take, in its own order, those without customers too, so a chart stays put. */
  bands: { band: string; customers: number; share: number }[];
  /** Customers whose score has no band (RFM not ranked without a purchase, profitability not judged, every CLV). */
  withoutBand: number;
}

/**
 * The base's X-ray in one view: per score, how many customers fall in each band and
 * what the values look like. `medians` comes from the database (an ordered aggregate),
 * the counts from `rows`; shares are of the customers with that score.
 */
export function scoreDistribution(rows: readonly BandCountRow[], medians: ReadonlyMap<ScoreKind, number | null>): ScoreDistribution[] {
  return Object.values(ScoreKind).map((kind) => {
    const own = rows.filter((r) => r.kind === kind);
    const customers = own.reduce((sum, r) => sum + r.customers, 0);
    const valued = own.reduce((n, r) => n + r.valued, 0);
    const sum = own.reduce((s, r) => s + r.valueSum, 0);
    const measured = valued > 0 && kind !== ScoreKind.Rfm;
    return {
      kind,
      customers,
      average: measured ? sum / valued : null,
      median: measured ? (medians.get(kind) ?? null) : null,
      bands: SCORE_BANDS[kind].map((band) => {
        const n = own.find((r) => r.band === band)?.customers ?? 0;
        return { band, customers: n, share: customers ? n / customers : 0 };
      }),
      withoutBand: own.filter((r) => r.band === null).reduce((sum, r) => sum + r.customers, 0),
    };
  });
}
