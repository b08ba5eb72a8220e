// Rescoring inside the workflow: the scoring model is pure and deterministic, so the workflow calls
// it directly on every event instead of paying for an activity round trip.

import type { LeadProfileInput } from '../domain/profile.ts';
import type { DecisionKind } from '../domain/scoring/index.ts';
import { defaultScoringModel, explain, score } from '../domain/scoring/index.ts';
import type { LeadState, Scores, WorkflowProfile } from './definitions.ts';

export interface Rescored {
  scores: Scores;
  explanation: string[];
  decision: DecisionKind;
  causes: string[];
  handRaiser: boolean;
}

/**
 * The profile scoring sees. The workflow never holds the address: domain rules (free mail,
 * competitors, own staff) only need the domain, so a placeholder mailbox at the real domain stands
 * in, unless the address is one the model lists (`listedAddress`), which address rules need.
 */
export function scoringProfile(profile: WorkflowProfile): LeadProfileInput {
  const { emailDomain, listedAddress, ...rest } = profile;
  return { ...rest, email: listedAddress ?? (emailDomain ? `lead@${emailDomain}` : undefined) };
}

export function rescore(state: Pick<LeadState, 'profile' | 'events' | 'stage'>, now: number): Rescored {
  const result = score(defaultScoringModel, scoringProfile(state.profile), state.events, now, {
    stage: state.stage,
  });
  return {
    scores: result.totals,
    explanation: explain(result),
    decision: result.decision.kind,
    causes: result.decision.causes,
    handRaiser: result.decision.reason === 'hand_raiser',
  };
}
