import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../../domain/auth/roles.js';
import { Allow } from '../auth/allow.js';
import type { GraphQLContext } from '../context.js';
import { ImportCsvInput, ImportReportType } from './import.types.js';

@Resolver()
export class ImportResolver {
  @Allow(Role.Admin)
  @Mutation(() => ImportReportType, {
    description:
      "Bulk import of a CRM or billing export (CSV), matched by the source references; audited. Takes its turn among the API's imports: UNAVAILABLE / IMPORT_BUSY (retry: true, nothing written) when too many wait or none comes in time",
  })
  importCsv(@Arg('input') input: ImportCsvInput, @Ctx() ctx: GraphQLContext): Promise<ImportReportType> {
    return ctx.services.imports.importCsvText(input.kind, input.csv, { mode: input.mode, actor: ctx.caller!.id, source: 'graphql' });
  }
}
