// Message types of the lead and handoff workflows: shared by the workflows themselves and by the
// client code that signals, queries and updates them (API, CLI, tests).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { EngagementEvent } from '../domain/events.ts';
import type { Stage } from '../domain/lifecycle/index.ts';
import type { LeadProfile } from '../domain/profile.ts';
import type { Sequence } from '../domain/sequence/index.ts';

/** What the workflow may know of a profile: everything but the address (no PII in history). */
export type WorkflowProfile = Omit<LeadProfile, 'email'> & {
  emailDomain?: string;
  /** The address, only when the scoring model lists it (spam traps, blocked addresses). */
  listedAddress?: string;
};

export interface Scores {
  fit: number;
  engagement: number;
  intent: number;
}

export interface Enrolment {
  /** Unique per enrolment: `${sequenceId}@${version}#${n}`; part of every message's send key. */
  id: string;
  sequenceId: string;
  version: number;
  pc: number;
  /** Epoch ms the current wait ends (wait / waitFor / deferred send). */
  waitUntil?: number;
  startedAt: number;
}

export interface HandoffRef {
  id: string;
  workflowId: string;
  startedAt: number;
}

export interface TimelineEntry {
  at: number;
  kind:
    | 'sent'
    | 'suppressed'
    | 'deferred'
    | 'stage'
    | 'enrolled'
    | 'exited'
    | 'handoff'
    | 'event'
    | 'goal'
    | 'feedback';
  detail: string;
}

export interface LeadState {
  leadId: string;
  stage: Stage;
  profile: WorkflowProfile;
  scores: Scores;
  /** Why the last decision was made: rule ids and a summary line per cause. */
  explanation: string[];
  /** Recent scored events (bounded); the full log lives in the database. */
  events: EngagementEvent[];
  enrolment?: Enrolment;
  /** A version change waiting for the lead to reach a wait (policy move_at_next_wait). */
  migration?: { toVersion: number };
  /** A recycle waiting for its `after` delay. */
  pending?: { sequenceId: string; at: number; reason: string };
  handoff?: HandoffRef;
  unsubscribed: boolean;
  counters: { enrolments: number; transitions: number; handoffs: number; events: number };
  /** Last few things that happened, for the query and for simulations. */
  timeline: TimelineEntry[];
}

export interface LeadWorkflowInput {
  leadId: string;
  profile: WorkflowProfile;
  /** Sequence to enrol in at start (default: the catalog's default sequence). */
  sequenceId?: string;
  /** Carried over by continue-as-new. */
  state?: LeadState;
  /** Search attributes need registration on the server; the time-skipping test server has none. */
  searchAttributes?: boolean;
  /** Sequences not (yet) in the catalog: simulations and drafts under test. They shadow the catalog. */
  inlineSequences?: Sequence[];
  /** Continue-as-new once history passes this many events (default 8,000). */
  historyLimit?: number;
}

export type FeedbackKind = 'accept' | 'reject' | 'opportunity' | 'won' | 'lost';
export interface SalesFeedback {
  kind: FeedbackKind;
  /** Required for reject and lost: why, in sales' words. */
  reason?: string;
  /** Sales user id or email-free identifier. */
  actor: string;
  handoffId?: string;
}

export interface LeadSnapshot {
  leadId: string;
  stage: Stage;
  scores: Scores;
  explanation: string[];
  sequence?: { id: string; version: number; step?: string; waitUntil?: number };
  pending?: LeadState['pending'];
  handoff?: HandoffRef;
  unsubscribed: boolean;
  tags: string[];
  counters: LeadState['counters'];
  timeline: TimelineEntry[];
}

export const eventSignal = defineSignal<[EngagementEvent]>('event');
export const profileSignal = defineSignal<[Partial<WorkflowProfile>]>('profile');
export const unsubscribeSignal = defineSignal<[{ reason: string }]>('unsubscribe');
export const eraseSignal = defineSignal('erase');
export const stateQuery = defineQuery<LeadSnapshot>('state');
/** Updates, not signals: they can refuse (unknown sequence, no pending handoff) with a clear error. */
export const enrolUpdate = defineUpdate<LeadSnapshot, [{ sequenceId: string; version?: number }]>('enrol');
export const exitUpdate = defineUpdate<LeadSnapshot, [{ reason: string }]>('exit');
/** Operator: move a running lead to a newer version of its sequence under a policy. */
export interface MigrationRequest {
  sequenceId: string;
  toVersion: number;
  policy: 'keep' | 'move_at_next_wait' | 'restart';
}
export const migrateUpdate = defineUpdate<LeadSnapshot, [MigrationRequest]>('migrateSequence');
export const feedbackUpdate = defineUpdate<LeadSnapshot, [SalesFeedback]>('salesFeedback');

/** Handoff child workflow. */
export interface HandoffInput {
  handoffId: string;
  leadId: string;
  scores: Scores;
  reasons: string[];
  profile: WorkflowProfile;
  sla?: { reminderMs: number; escalateMs: number; expireMs: number };
}
export interface HandoffResult {
  outcome: 'answered' | 'expired' | 'cancelled';
  owner: string;
}
export const answeredSignal = defineSignal<[{ kind: FeedbackKind; actor: string }]>('answered');

export const leadWorkflowId = (leadId: string) => `lead-${leadId}`;
export const handoffWorkflowId = (handoffId: string) => `handoff-${handoffId}`;
