import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LocalDateResolver } from 'graphql-scalars';
import { Playbook } from '../../domain/playbooks/playbook.js';
import type { RescoreFit } from '../../services/operations/operations-status.service.js';

@ObjectType('PlaybookRunCount', { simpleResolvers: true })
export class PlaybookRunCountType {
  @Field(() => Playbook)
  playbook!: string;

  @Field(() => Int)
  runs!: number;
}

@ObjectType('Workers', { simpleResolvers: true, description: "The workers taking this deployment's work, as Temporal sees them poll its task queue" })
export class WorkersType {
  @Field(() => Int, { description: 'Workers that polled recently (Temporal keeps a poller for a few minutes after its last poll)' })
  polling!: number;

  @Field(() => Float, { nullable: true, description: 'Seconds since the latest poll this API process has seen (it goes on growing after Temporal drops a silent worker from its list, five minutes after its last poll); null when none was seen since the process started: then polling is 0' })
  lastPollSecondsAgo!: number | null;
}

@ObjectType('PlatformSchedule', {
  simpleResolvers: true,
  description:
    "One of the deployment's schedules in Temporal, as Temporal describes it: an operator may pause or delete one there (Temporal UI, `temporal schedule`). Paused, the run reconciliation leaves runs and campaigns terminated, failed or reset in Temporal shown as they were (a terminated run as running, its fix case open); the trigger sweep starts no playbook by its triggers; the rescore scores no night",
})
export class PlatformScheduleType {
  @Field(() => String, { description: 'Its ID in Temporal, e.g. `run-reconciliation/<task queue>`' })
  id!: string;

  @Field(() => String, { description: 'What it does: `playbook-triggers`, `run-reconciliation`, `rescore`, `data-retention` or `score-history`' })
  name!: string;

  @Field(() => Boolean, { description: 'False: deleted in Temporal (the worker puts it back as it starts) or switched off in the configuration (its setting `off`)' })
  exists!: boolean;

  @Field(() => Boolean, { nullable: true, description: 'Paused in Temporal: it starts nothing until someone unpauses it there (a worker start leaves it paused, with a warning in its log); null when it does not exist' })
  paused!: boolean | null;

  @Field(() => String, { nullable: true, description: 'The note Temporal keeps with it: why it was paused, as the one who paused it said; null without one' })
  note!: string | null;

  @Field(() => Date, { nullable: true, description: 'When it last started its workflow; null when it has not since it was created (or put back)' })
  lastRunAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it starts its workflow next; null while paused, or when it does not exist' })
  nextRunAt!: Date | null;
}

@ObjectType('RescoreFit', {
  simpleResolvers: true,
  description:
    "A model the latest completed rescore fitted on the base, and whether its fit converged: when not, the run scored with an earlier rescore's converged fit, or without one with the parameters where the optimiser stopped (uncertain churn risks or CLVs), and the scores' reasons say which (scoreModels shows both fits)",
})
export class RescoreFitType implements RescoreFit {
  @Field(() => String, { description: 'bgnbd (churn risk, expected purchases) or gamma-gamma (spend, for CLV)' })
  kind!: RescoreFit['kind'];

  @Field(() => String, { description: 'The model and its version, e.g. "bgnbd/1" (as ScoreModel.modelVersion)' })
  modelVersion!: string;

  @Field(() => Boolean, { description: 'Whether the optimiser converged; false: its parameters are where it stopped, not estimates (scoredWithAsOf says what the run scored with)' })
  converged!: boolean;

  @Field(() => LocalDateResolver, {
    nullable: true,
    description:
      "The day of the earlier rescore whose converged fit the run scored with instead of this one (the newest converged fit of the same model version, of a rescore as of that run's day or before). Null when it scored with this one: it converged, or, with converged false, no earlier fit did, so the run scored with the parameters where the optimiser stopped and those scores are uncertain",
  })
  scoredWithAsOf!: string | null;

  @Field(() => [String], {
    description:
      "Its shape parameters (BG/NBD's r, a, b; Gamma-Gamma's p, q) that ran off towards 0 or infinity (beyond e^±10, about 22,000 and 1/22,000), usually none: the likelihood kept rising along a ridge, so the data pins down at most their ratio, not each one, even with converged true (BG/NBD's a and b growing together, night after night, on a base where hardly anyone seems to drop out: their ratio, the drop-out chance, is the estimate). The worker logs a warning for such a fit",
  })
  runOff!: string[];
}

@ObjectType('OperationsStatus', { simpleResolvers: true, description: 'Is delivery keeping up, did the nightly rescore run, how much work is open (the same figures as the /metrics gauges)' })
export class OperationsStatusType {
  @Field(() => Int, { description: 'Messages waiting for their first attempt now (delivery keeps this near zero); those being retried are retryingMessages' })
  dueMessages!: number;

  @Field(() => Int, {
    description:
      'How long the oldest message due now or being retried has waited, seconds (0 without one): growing means delivery stalls or the channel fails. One being retried has waited since it first became due (its back-offs count), so a failing channel shows here within minutes, not once delivery gave up',
  })
  oldestDueMessageSeconds!: number;

  @Field(() => Int, {
    description:
      "Messages being retried after a failed attempt (the channel refused them for now, did not answer or could not be reached), delivery not having given up yet (then they are undeliverableMessages): whether their back-off is running or over. Above zero for more than a few minutes: the channel is failing (the worker's log says why, each message's lastError too)",
  })
  retryingMessages!: number;

  @Field(() => Int, {
    description:
      'Held until later with no failed attempt: quiet hours in the customer\'s time zone, or an earlier reminder of their run not gone out yet (those being retried are retryingMessages). Not a message over the contact budget: that is held back for good, never sent (fairnessReport.messagesSuppressed counts it)',
  })
  deferredMessages!: number;

  @Field(() => Int, { description: 'Refused for good, or so often that delivery gave up: see undeliverableMessages' })
  undeliverableMessages!: number;

  @Field(() => Date, { nullable: true, description: 'When the completed rescore of the newest day scored finished (a rescore of an earlier day, a backfill, does not count: it must not hide a missed night); null before the first' })
  lastRescoreCompletedAt!: Date | null;

  @Field(() => [RescoreFitType], {
    description:
      "The models the latest completed rescore (the one of lastRescoreCompletedAt) fitted, by kind, each whether its fit converged and, when not, whose fit the run scored with instead. Empty before the first completed rescore; a model the base gave nothing to fit (no repeat purchase) is not listed",
  })
  latestRescoreFits!: RescoreFitType[];

  @Field(() => Int)
  openFixCases!: number;

  @Field(() => Int, { description: 'Open invoices nothing chases, left to a person (overdueInvoices(leftToPeople: true) lists them): further past due than the trigger sweep chases (90 days by default) with no reminder run, whose reminders a person may start (startFairReminder); or whose newest reminder run ended without completing (cancelled by an operator or as the invoice was cancelled and then stood again; terminated, failed), or as paid before the invoice opened again, or by handing it to a person (a loyal payer\'s run ended call-scheduled or follow-up-requested), which the sweep does not chase again (startFairReminder starts its next run; promiseToPay starts it holding the promise). Not those handed over to collections, nor those of erased customers' })
  overdueInvoicesLeftToPeople!: number;

  @Field(() => Int, {
    description:
      "Offboarded customers past the retention period (ERASE_OFFBOARDED_AFTER_DAYS after they left) whose personal data is still kept: those the nightly retention sweep left for later because a playbook run of theirs is under way (the worker's log warns naming each customer and the runs holding them: cancel them or let them finish), and those who passed it since the last sweep. One that stays after a sweep is kept past its retention period",
  })
  customersPastRetention!: number;

  @Field(() => [PlaybookRunCountType], { description: 'Runs under way, by playbook: every playbook, those with none running too' })
  runningPlaybookRuns!: PlaybookRunCountType[];

  @Field(() => WorkersType, { nullable: true, description: 'Null when Temporal could not be asked' })
  workers!: WorkersType | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether Temporal answered this read in time (false: playbooks, delivery and rescores stand still); null where this API process does not ask it' })
  engineReachable!: boolean | null;

  @Field(() => [PlatformScheduleType], { nullable: true, description: "The deployment's schedules (trigger sweep, run reconciliation, nightly rescore, retention sweep, score-history thinning), each whether it exists and is paused in Temporal; null when Temporal could not be asked" })
  schedules!: PlatformScheduleType[] | null;
}
