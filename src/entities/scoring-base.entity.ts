import 'reflect-metadata';
import { Entity, PrimaryKey } from '@mikro-orm/decorators/legacy';

/**
 * The customers a scoring run scores, recorded once as it gathers, before its purchase aggregates: its pages score these
 * and no others. A customer an import brings while the run goes (its transaction begun before the run or not) was not in
 * what the run gathered, and scored would read as having bought nothing. The run deletes them when it completes.
 */
@Entity({ tableName: 'scoring_base' })
export class ScoringBase {
  @PrimaryKey({ type: 'text' })
  runId!: string;

  @PrimaryKey({ type: 'uuid' })
  customerId!: string;
}
