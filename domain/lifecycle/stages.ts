// Lead lifecycle: the stages a contact moves through and the explicit table of moves that are allowed.
// Pure and deterministic (no clock, no I/O) so workflows can import it.
//
// Forward path (seeds): subscriber → lead → MQL → SQL → opportunity → customer.
// Backward paths: a lead that is not ready to buy is not "dead", it goes back to be nurtured
// (MQL not accepted in time, sales rejects, opportunity lost, MQL goes cold), and nurture re-engages to MQL.
// Disqualification (students, job seekers, competitors, own staff, spam traps) is possible from any
// stage except customer; only an operator (or an import) can undo it.
import { z } from 'zod';

export const STAGES = [
  'subscriber',
  'lead',
  'mql',
  'sql',
  'opportunity',
  'customer',
  'nurture',
  'disqualified',
] as const;
export const Stage = z.enum(STAGES);
export type Stage = z.infer<typeof Stage>;

export const REASON_CODES = [
  /** All three scoring dimensions reached their MQL thresholds. */
  'score_threshold',
  /** A bottom-of-funnel action (demo / contact request, RFP) fast-tracked the lead. */
  'hand_raiser',
  /** A hard disqualifier matched (student, job seeker, competitor, own staff, spam trap). */
  'disqualifier',
  /** Sales accepted the MQL (→ SQL), or moved it on (→ opportunity). */
  'sales_accepted',
  /** Sales rejected the lead: back to nurture. */
  'sales_rejected',
  /** Nobody from sales accepted the MQL within the agreed service level: back to nurture. */
  'sla_expired',
  /** Engagement decayed below the recycle floor or the lead went quiet. */
  'no_engagement',
  /** Opportunity closed won. */
  'won',
  /** Opportunity closed lost: back to nurture. */
  'lost',
  /** A nurtured lead qualified again. */
  're_engaged',
  /** Stage set by a bulk import or CRM sync. */
  'import',
  /** Manual change by an operator (corrections, un-disqualify). */
  'operator',
  /** Enrolled in a program (e.g. subscriber → lead after a content form, lead → nurture track). */
  'enrolled',
  /** Filled a form with more than an email address (subscriber → lead). */
  'form_submitted',
  /** A customer left: back to nurture. */
  'churned',
  /** A customer opened a new deal (upsell / renewal). */
  'expansion',
] as const;
export const ReasonCode = z.enum(REASON_CODES);
export type ReasonCode = z.infer<typeof ReasonCode>;

export const ActorKind = z.enum(['scoring_rule', 'sales_user', 'import', 'operator', 'workflow']);
export type ActorKind = z.infer<typeof ActorKind>;

export const Actor = z.object({
  kind: ActorKind,
  /** Rule id, user id, import batch id, operator id or workflow id. */
  id: z.string().min(1).max(200),
});
export type Actor = z.infer<typeof Actor>;

export const ScoreSnapshot = z.object({
  fit: z.number(),
  engagement: z.number(),
  intent: z.number(),
});
export type ScoreSnapshot = z.infer<typeof ScoreSnapshot>;

export const StageTransition = z.object({
  from: Stage,
  to: Stage,
  reason: ReasonCode,
  actor: Actor,
  /** The scores when the move happened: the "why" stays readable after scores change. */
  snapshot: ScoreSnapshot,
  /** Scoring rules behind the move (empty for manual moves). */
  ruleIds: z.array(z.string()),
  /** Epoch ms, supplied by the caller (workflow time); never read from a clock here. */
  at: z.number().int().nonnegative().optional(),
});
export type StageTransition = z.infer<typeof StageTransition>;

/**
 * Every allowed move, from → to. Anything not listed (including staying in place) is illegal.
 * Read each line as "from this stage the lead can go to ...".
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<Stage, readonly Stage[]>> = Object.freeze({
  // Newsletter-only contacts: a real form makes them a lead; a hand-raiser or a full score makes them an
  // MQL directly; sales may take one from a target list; they can be put on a nurture track.
  subscriber: ['lead', 'mql', 'sql', 'nurture', 'disqualified'],
  // Top of the funnel: scores up to MQL, or sales qualifies directly (met in person / target list),
  // or goes to a nurture track.
  lead: ['mql', 'sql', 'nurture', 'disqualified'],
  // Handed to sales: accepted (→ SQL), or back to nurture when rejected, not accepted in time (SLA),
  // or when engagement decays below the recycle floor.
  mql: ['sql', 'nurture', 'disqualified'],
  // Sales-qualified: becomes a pipeline opportunity, or sales returns it to nurture ("not now").
  sql: ['opportunity', 'nurture', 'disqualified'],
  // Pipeline: won or lost; lost deals are nurtured, not deleted.
  opportunity: ['customer', 'nurture', 'disqualified'],
  // Customers are never disqualified; they can open a new deal or churn back to nurture.
  customer: ['opportunity', 'nurture'],
  // Nurture re-engages: scoring / hand-raiser → MQL, or sales picks it up directly.
  nurture: ['mql', 'sql', 'disqualified'],
  // Disqualification is sticky: only an operator (or an import) puts a contact back.
  disqualified: ['lead', 'nurture'],
});

/** Stages that only sales (or an operator / import acting for them) may move a lead into: never scoring. */
export const SALES_OWNED_STAGES: readonly Stage[] = ['sql', 'opportunity', 'customer'];
const SALES_ACTORS: readonly ActorKind[] = ['sales_user', 'operator', 'import'];
/** Who may take a lead out of `disqualified`. */
const UNDISQUALIFY_ACTORS: readonly ActorKind[] = ['operator', 'import'];

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly from: Stage;
  readonly to: Stage;
  readonly actor: Actor | undefined;
  constructor(from: Stage, to: Stage, detail?: string, actor?: Actor) {
    super(`illegal stage transition ${from} → ${to}${detail ? `: ${detail}` : ''}`);
    this.from = from;
    this.to = to;
    this.actor = actor;
  }
}

function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

/** Why a move is not allowed, or undefined when it is. */
function whyIllegal(from: Stage, to: Stage, actor?: Pick<Actor, 'kind'>): string | undefined {
  if (!isStage(from) || !isStage(to)) return 'unknown stage';
  if (from === to) return 'already in that stage';
  if (!ALLOWED_TRANSITIONS[from].includes(to)) return 'not in the allowed transitions table';
  if (actor) {
    if (SALES_OWNED_STAGES.includes(to) && !SALES_ACTORS.includes(actor.kind)) {
      return `${to} is decided by sales, not by ${actor.kind}`;
    }
    if (from === 'disqualified' && !UNDISQUALIFY_ACTORS.includes(actor.kind)) {
      return `only an operator or an import can undo a disqualification, not ${actor.kind}`;
    }
  }
  return undefined;
}

/**
 * True when `from → to` is in the table. With an actor, also checks who may make the move:
 * SQL / opportunity / customer are sales decisions, and only an operator can un-disqualify.
 */
export function canTransition(from: Stage, to: Stage, actor?: Pick<Actor, 'kind'>): boolean {
  return whyIllegal(from, to, actor) === undefined;
}

export interface TransitionInput {
  reason: ReasonCode;
  actor: Actor;
  snapshot: ScoreSnapshot;
  ruleIds?: readonly string[];
  /** Epoch ms (workflow time). */
  at?: number;
}

/** Builds the record of a stage move, or throws IllegalTransitionError when the move is not allowed. */
export function transition(from: Stage, to: Stage, input: TransitionInput): StageTransition {
  const why = whyIllegal(from, to, input.actor);
  if (why !== undefined) throw new IllegalTransitionError(from, to, why, input.actor);
  if (!ReasonCode.safeParse(input.reason).success) {
    throw new IllegalTransitionError(from, to, `unknown reason code "${String(input.reason)}"`, input.actor);
  }
  const out: StageTransition = {
    from,
    to,
    reason: input.reason,
    actor: { kind: input.actor.kind, id: input.actor.id },
    snapshot: {
      fit: input.snapshot.fit,
      engagement: input.snapshot.engagement,
      intent: input.snapshot.intent,
    },
    ruleIds: [...(input.ruleIds ?? [])],
  };
  if (input.at !== undefined) out.at = input.at;
  return out;
}

/** All (from, to) pairs of the table, handy for tests and docs. */
export function allowedPairs(): Array<[Stage, Stage]> {
  return STAGES.flatMap((from) => ALLOWED_TRANSITIONS[from].map((to): [Stage, Stage] => [from, to]));
}
