import { Playbook } from '../playbooks/playbook.js';
import { SCORE_BANDS } from '../scoring/score-bands.js';
import { audienceDays, campaignPlaybook, campaignPlaybooks, defaultHoldoutPercent, LEFT_OUT_REASONS } from './campaign.js';

describe('campaign playbooks', () => {
  it('narrow a segment only by bands their score has (a misspelt band would enrol nobody)', () => {
    for (const [playbook, { requires }] of Object.entries(campaignPlaybooks)) {
      if (!requires) continue;
      expect({ playbook, bands: requires.bands.filter((band) => !SCORE_BANDS[requires.kind].includes(band)) }).toEqual({ playbook, bands: [] });
    }
  });

  it('launch the segment playbooks, not fair reminders, which follow an overdue invoice', () => {
    expect(Object.keys(campaignPlaybooks).sort()).toEqual([Playbook.AccountReview, Playbook.Appreciation, Playbook.FixIssue, Playbook.WelcomeCheck].sort());
    expect(campaignPlaybook(Playbook.FairReminder)).toBeUndefined();
    expect(campaignPlaybook('offboarding')).toBeUndefined();
    expect(campaignPlaybook('constructor')).toBeUndefined();
  });

  it('hold back a tenth by default, and nobody from a fix, which is owed', () => {
    expect(defaultHoldoutPercent(campaignPlaybook(Playbook.Appreciation)!)).toBe(10);
    expect(defaultHoldoutPercent(campaignPlaybook(Playbook.AccountReview)!)).toBe(10);
    expect(defaultHoldoutPercent(campaignPlaybook(Playbook.FixIssue)!)).toBe(0);
  });

  it('narrow the audience by the policy values they are given, as a start by hand and the sweep do', () => {
    const policies = { appreciation: { minTenureDays: 1000, silentDays: 100 }, welcomeCheck: { newCustomerDays: 60 }, triggers: { accountReviewCooldownDays: 100 } };
    expect(audienceDays(Playbook.Appreciation, policies)).toEqual({ minTenureDays: 1000, maxTenureDays: null, cooldownDays: null, silentDays: 100 });
    expect(audienceDays(Playbook.WelcomeCheck, policies)).toEqual({ minTenureDays: null, maxTenureDays: 60, cooldownDays: null, silentDays: null });
    expect(audienceDays(Playbook.AccountReview, policies)).toEqual({ minTenureDays: null, maxTenureDays: null, cooldownDays: 100, silentDays: null });
    expect(audienceDays(Playbook.FixIssue, policies)).toEqual({ minTenureDays: null, maxTenureDays: null, cooldownDays: null, silentDays: null });
  });
});

describe("a campaign preview's reasons for leaving a customer out", () => {
  it('say a welcome check is started by hand or by a campaign, never by the sweep: a marketer must not think newcomers are welcomed anyway', () => {
    expect(LEFT_OUT_REASONS['welcome-under-way']).toBe('their welcome check is under way (started by hand or by another campaign; the daily sweep starts none): a launch would only join it');
    expect(LEFT_OUT_REASONS['not-welcomed']).not.toMatch(/sweep/);
    expect(LEFT_OUT_REASONS['welcomed-already']).not.toMatch(/sweep/);
  });
});
