import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ApiKeyResolver } from './auth/api-key.resolver.js';
import { CallerResolver } from './auth/caller.resolver.js';
import { AuditResolver } from './audit/audit.resolver.js';
import { authChecker } from './auth/allow.js';
import { withCanonicalIds } from './canonical-ids.js';
import { withNodeTypes } from './common/node.js';
import { InvoiceResolver } from './billing/invoice.resolver.js';
import { CampaignMemberResolver, CampaignResolver } from './campaigns/campaign.resolver.js';
import { ComplaintResolver } from './complaints/complaint.resolver.js';
import { CustomerResolver } from './customers/customer.resolver.js';
import { ImportResolver } from './import/import.resolver.js';
import { ImportRowsResolver } from './import/import-rows.resolver.js';
import { MessageResolver } from './messages/message.resolver.js';
import { MessageTemplateResolver } from './messages/message-template.resolver.js';
import { NodeResolver } from './node/node.resolver.js';
import { CurrencyResolver } from './money/currency.resolver.js';
import { FixCaseResolver } from './playbooks/fix-case.resolver.js';
import { PlaybookResolver } from './playbooks/playbook.resolver.js';
import { OfferResolver } from './offers/offer.resolver.js';
import { FairnessReportResolver } from './reports/fairness-report.resolver.js';
import { OperationsStatusResolver } from './reports/operations-status.resolver.js';
import { ScoreResolver } from './scores/score.resolver.js';
import { ScoreBandChangeResolver } from './scores/score-band-change.resolver.js';
import { ScoringResolver } from './scores/scoring.resolver.js';
import { SegmentResolver } from './segments/segment.resolver.js';
import { validateArgs } from './validate-args.js';

export const resolvers = [CustomerResolver, ComplaintResolver, InvoiceResolver, ImportResolver, ImportRowsResolver, PlaybookResolver, FixCaseResolver, ScoreResolver, ScoringResolver, ScoreBandChangeResolver, SegmentResolver, CampaignResolver, CampaignMemberResolver, OfferResolver, FairnessReportResolver, OperationsStatusResolver, AuditResolver, ApiKeyResolver, CallerResolver, MessageResolver, MessageTemplateResolver, CurrencyResolver, NodeResolver] as const;

export async function createSchema(): Promise<GraphQLSchema> {
  return withNodeTypes(withCanonicalIds(await buildSchema({ resolvers, authChecker, validateFn: validateArgs })));
}

/** The SDL checked in at schema/schema.graphql, sorted so diffs stay readable. */
export function printSdl(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
