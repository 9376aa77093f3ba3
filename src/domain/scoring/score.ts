/**
 * The shape every score of this folder returns: a value, an optional named band,
 * the plain-language facts that drove it, and the version of the model that
 * produced it. A score result is plain data; the scoring service stores it as a
 * score snapshot (value, band, reasons, modelVersion).
 *
 * `value` is `null` only where a model says so in its documentation (for example
 * the behaviour-change signal without enough purchase history); the reasons then
 * say why there is no value.
 */
export interface ScoreResult<V extends number | null = number> {
  value: V;
  band?: string;
  reasons: string[];
  modelVersion: string;
}

/** `modelVersion` of a policy-driven score: the model's own version plus the policy's. */
export const withPolicyVersion = (model: string, policyVersion: number | string): string => `${model};policy=${policyVersion}`;
