import 'reflect-metadata';
import { type Rel } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { randomUUID } from 'node:crypto';
import { ScoringRun } from './scoring-run.entity.js';

/** A model fitted on the whole base by a scoring run (BG/NBD, Gamma-Gamma): parameters and fit quality. */
@Entity({ tableName: 'score_model' })
@Unique({ properties: ['run', 'kind'], name: 'score_model_run_id_kind_unique' })
@Index({ properties: ['kind', 'fittedAt'], name: 'score_model_kind_fitted_at_index' })
export class ScoreModel {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => ScoringRun, deleteRule: 'cascade' })
  run!: Rel<ScoringRun>;

  /** `bgnbd` or `gamma-gamma`. */
  @Property({ type: 'text' })
  kind!: string;

  @Property({ type: 'text' })
  modelVersion!: string;

  /** Fitted parameters by name ({ r, alpha, a, b } or { p, q, gamma }). */
  @Property({ type: 'jsonb' })
  params!: Record<string, number>;

  @Property({ type: 'double' })
  logLikelihood!: number;

  /** Customers the model was fitted on. */
  @Property({ type: 'integer' })
  customers!: number;

  @Property({ type: 'boolean' })
  converged!: boolean;

  /**
   * The shape parameters that ran off towards 0 or infinity (runOffParameters: r, a, b; p, q), usually none: the data
   * pins down at most their ratio, not each one, converged or not.
   */
  @Property({ type: 'jsonb' })
  runOff!: string[];

  @Property({ type: 'timestamptz', length: 3 })
  fittedAt!: Date;

  /** The earlier converged fit (same kind and model version) the run scored with because this one did not converge; null: it scored with this one. */
  @ManyToOne({ entity: () => ScoreModel, nullable: true, deleteRule: 'no action' })
  scoredWith?: Rel<ScoreModel> | null;
}
