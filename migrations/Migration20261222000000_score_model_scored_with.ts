import { Migration } from '@mikro-orm/migrations';

/**
 * A rescore whose fit of a model did not converge scores with the newest earlier converged fit of the same
 * model version instead (the optimiser's stopping point is not an estimate: one outlier order moved the spend
 * model of every customer); its own fit stays recorded, with the fit it scored with. Fits recorded
 * before scored with their own parameters: null. A fit another run scored with is not deleted from under it (no
 * action): that run's record would then claim it scored with its own parameters.
 */
export class Migration20261222000000_score_model_scored_with extends Migration {
  override name = 'Migration20261222000000_score_model_scored_with';

  override up(): void | Promise<void> {
    this.addSql(`alter table "score_model" add column "scored_with_id" uuid null;`);
    this.addSql(`alter table "score_model" add constraint "score_model_scored_with_id_foreign" foreign key ("scored_with_id") references "score_model" ("id") on delete no action;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "score_model" drop constraint "score_model_scored_with_id_foreign";`);
    this.addSql(`alter table "score_model" drop column "scored_with_id";`);
  }
}
