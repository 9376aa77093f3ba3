export * from './customer.entity.js';
export * from './order.entity.js';
export * from './invoice.entity.js';
export * from './payment.entity.js';
export * from './complaint.entity.js';
export * from './cost-entry.entity.js';
export * from './offer.entity.js';
export * from './score-snapshot.entity.js';
export * from './current-score.entity.js';
export * from './scoring-run.entity.js';
export * from './score-model.entity.js';
export * from './scoring-work.entity.js';
export * from './campaign.entity.js';
export * from './playbook-run.entity.js';
export * from './fix-case.entity.js';
export * from './outbox-message.entity.js';
export * from './audit-entry.entity.js';

import { AuditEntry } from './audit-entry.entity.js';
import { Campaign } from './campaign.entity.js';
import { Complaint } from './complaint.entity.js';
import { CostEntry } from './cost-entry.entity.js';
import { Customer } from './customer.entity.js';
import { Invoice } from './invoice.entity.js';
import { Offer } from './offer.entity.js';
import { Order } from './order.entity.js';
import { OutboxMessage } from './outbox-message.entity.js';
import { Payment } from './payment.entity.js';
import { PlaybookRun } from './playbook-run.entity.js';
import { FixCase } from './fix-case.entity.js';
import { ScoreSnapshot } from './score-snapshot.entity.js';
import { CurrentScore } from './current-score.entity.js';
import { ScoreModel } from './score-model.entity.js';
import { ScoringRun } from './scoring-run.entity.js';
import { ScoringWork } from './scoring-work.entity.js';

/** Every entity the ORM knows. */
export const allEntities = [Customer, Order, Invoice, Payment, Complaint, CostEntry, Offer, ScoreSnapshot, CurrentScore, ScoringRun, ScoreModel, ScoringWork, Campaign, PlaybookRun, FixCase, OutboxMessage, AuditEntry];
