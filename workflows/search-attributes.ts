import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Typed search attributes every playbook run carries, so an operator can find
 * runs in the Temporal UI (e.g. `CustomerId = "..." AND PlaybookStep = "..."`).
 * They hold IDs and states only, never personal data.
 */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const PlaybookKey = defineSearchAttributeKey('Playbook', SearchAttributeType.KEYWORD);
export const PlaybookStepKey = defineSearchAttributeKey('PlaybookStep', SearchAttributeType.KEYWORD);
export const LoyaltyBandKey = defineSearchAttributeKey('LoyaltyBand', SearchAttributeType.KEYWORD);
export const RiskBandKey = defineSearchAttributeKey('RiskBand', SearchAttributeType.KEYWORD);
/** Set on runs a campaign started, by the start that created the run (a campaign that found it under way changes nothing). */
export const CampaignIdKey = defineSearchAttributeKey('CampaignId', SearchAttributeType.KEYWORD);

/** Temporal's own, on a run a schedule started: the time it was scheduled for (a backfilled one's too). */
export const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export const allSearchAttributeKeys = [CustomerIdKey, PlaybookKey, PlaybookStepKey, LoyaltyBandKey, RiskBandKey, CampaignIdKey];
