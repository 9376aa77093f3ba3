import { DomainException, type FailureKind } from '../../domain/errors/domain-exception.js';

export enum CampaignExceptionCode {
  NotFound = 'CAMPAIGN_NOT_FOUND',
  InvalidInput = 'CAMPAIGN_INVALID_INPUT',
  /** Launch, pause, resume or cancel in a state that does not allow it. */
  WrongState = 'CAMPAIGN_WRONG_STATE',
  /** Another campaign has the name, as people read it and in any case. */
  NameTaken = 'CAMPAIGN_NAME_TAKEN',
  /** A launch now of a campaign that runs once would enrol nobody (it would complete at once, never to be launched again). */
  EmptyAudience = 'CAMPAIGN_EMPTY_AUDIENCE',
}

const kinds: Record<CampaignExceptionCode, FailureKind> = {
  [CampaignExceptionCode.NotFound]: 'NOT_FOUND',
  [CampaignExceptionCode.InvalidInput]: 'VALIDATION',
  [CampaignExceptionCode.WrongState]: 'CONFLICT',
  [CampaignExceptionCode.NameTaken]: 'CONFLICT',
  [CampaignExceptionCode.EmptyAudience]: 'CONFLICT',
};

export class CampaignException extends DomainException<CampaignExceptionCode> {
  get kind(): FailureKind {
    return kinds[this.code];
  }
}
