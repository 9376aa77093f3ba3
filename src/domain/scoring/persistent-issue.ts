/**
 * Persistent issue: the same topic complained about at least `minComplaints`
 * times, or reopened at least `minReopens` times, within a trailing window of
 * `windowDays` days ending at `asOf`.
 *
 * - A complaint is in the window when it was opened in (asOf - windowDays, asOf],
 *   or is still unresolved at asOf (an open complaint is current, however old), or
 *   was last reopened in the window (the customer said it is not fixed).
 * - Topics are compared trimmed and case-insensitively ("Delivery-Delay " =
 *   "delivery-delay").
 * - Reopens are the complaints' `reopenedCount` (imported counts may have no date).
 * - A withdrawn complaint (filed by mistake) is no complaint of the customer's: it never counts.
 * - value = number of persistent topics; band "persistent" when there is one, else "none".
 */
import { topicKey } from '../complaints/topic.js';
import { dayNumber, isoDay, type DateLike } from '../dates.js';
import { withPolicyVersion, type ScoreResult } from './score.js';
import { invalidInput } from './scoring.exception.js';

export const PERSISTENT_ISSUE_MODEL_VERSION = 'persistent-issue/2';

export interface PersistentIssuePolicy {
  version: number;
  minComplaints: number;
  minReopens: number;
  windowDays: number;
}

export const defaultPersistentIssuePolicy: PersistentIssuePolicy = { version: 1, minComplaints: 3, minReopens: 1, windowDays: 90 };

export interface ComplaintRecord {
  topic: string;
  openedAt: DateLike;
  resolvedAt?: DateLike | null;
  reopenedCount?: number;
  /** When it was last reopened, if known. */
  reopenedAt?: DateLike | null;
  /** When it was withdrawn (filed by mistake: the wrong customer, twice), if it was: then it never counts, as of any day. */
  withdrawnAt?: DateLike | null;
}

export interface PersistentTopic {
  topic: string;
  complaints: number;
  reopens: number;
  /** Complaints of the topic unresolved at asOf. */
  openNow: number;
  firstOpenedAt: string;
  lastOpenedAt: string;
  /** Days the complaints were opened, oldest first. */
  openedDates: string[];
}

export const PERSISTENT_ISSUE_BANDS = ['none', 'persistent'] as const;

export interface PersistentIssueScore extends ScoreResult {
  value: number;
  band: (typeof PERSISTENT_ISSUE_BANDS)[number];
  topics: PersistentTopic[];
}

const times = (n: number) => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);

export function persistentIssues(complaints: readonly ComplaintRecord[], asOf: DateLike, policy: PersistentIssuePolicy = defaultPersistentIssuePolicy): PersistentIssueScore {
  if (!(policy.minComplaints >= 1 && policy.minReopens >= 1 && policy.windowDays >= 1)) throw invalidInput('persistent-issue policy values must be >= 1');
  const today = dayNumber(asOf);
  const from = today - policy.windowDays; // exclusive
  const byTopic = new Map<string, { days: number[]; reopens: number; openNow: number }>();
  for (const c of complaints) {
    if (c.withdrawnAt != null) continue;
    const topic = topicKey(c.topic);
    if (!topic) throw invalidInput('complaint topic must not be empty');
    const opened = dayNumber(c.openedAt);
    if (opened > today) continue; // not yet happened at asOf
    const resolved = c.resolvedAt == null ? null : dayNumber(c.resolvedAt);
    const open = resolved === null || resolved > today;
    const reopened = c.reopenedAt == null ? null : dayNumber(c.reopenedAt);
    if (!(opened > from || open || (reopened !== null && reopened > from && reopened <= today))) continue;
    const reopens = c.reopenedCount ?? 0;
    if (!(Number.isInteger(reopens) && reopens >= 0)) throw invalidInput(`reopenedCount must be a whole number >= 0 (got ${reopens})`);
    let t = byTopic.get(topic);
    if (!t) byTopic.set(topic, (t = { days: [], reopens: 0, openNow: 0 }));
    t.days.push(opened);
    t.reopens += reopens;
    if (open) t.openNow++;
  }
  const topics: PersistentTopic[] = [...byTopic]
    .filter(([, t]) => t.days.length >= policy.minComplaints || t.reopens >= policy.minReopens)
    .map(([topic, t]) => {
      const days = [...t.days].sort((a, b) => a - b);
      return {
        topic,
        complaints: days.length,
        reopens: t.reopens,
        openNow: t.openNow,
        firstOpenedAt: isoDay(days[0]),
        lastOpenedAt: isoDay(days[days.length - 1]),
        openedDates: days.map(isoDay),
      };
    })
    .sort((a, b) => b.complaints - a.complaints || b.reopens - a.reopens || (a.topic < b.topic ? -1 : 1));
  const reasons = topics.map((t) => {
    // A complaint opened before the window counts while open or once reopened in it: said apart, not as one of the window's.
    const recent = t.openedDates.filter((d) => dayNumber(d) > from);
    const earlier = t.openedDates.filter((d) => dayNumber(d) <= from);
    const said = [
      recent.length ? `complained about ${times(recent.length)} in the last ${policy.windowDays} days (${recent.join(', ')})` : null,
      earlier.length ? `${earlier.length === 1 ? 'an earlier complaint' : `${earlier.length} earlier complaints`} still open or reopened in the last ${policy.windowDays} days (${earlier.join(', ')})` : null,
    ];
    const parts = [`"${t.topic}": ${said.filter((p) => p !== null).join(', plus ')}`];
    if (t.reopens) parts.push(`reopened ${times(t.reopens)}`);
    if (t.openNow) parts.push(`${t.openNow} still open`);
    return parts.join(', ');
  });
  if (!topics.length) reasons.push(`no topic complained about ${policy.minComplaints} times or reopened in the last ${policy.windowDays} days`);
  return { value: topics.length, band: topics.length ? 'persistent' : 'none', topics, reasons, modelVersion: withPolicyVersion(PERSISTENT_ISSUE_MODEL_VERSION, policy.version) };
}
