// Rescoring inside the workflow: the scoring model is pure and deterministic, so the workflow calls
// it directly on every event instead of paying for an activity round trip.

import type { DecisionKind } from '../domain/scoring/index.ts';
import { defaultScoringModel, explain, score } from '../domain/scoring/index.ts';
import type { LeadState, Scores } from './definitions.ts';

export interface Rescored {
  scores: Scores;
  explanation: string[];
  decision: DecisionKind;
  causes: string[];
  handRaiser: boolean;
}

export function rescore(state: Pick<LeadState, 'profile' | 'events' | 'stage'>, now: number): Rescored {
  const { emailDomain, ...profile } = state.profile;
  // The workflow never holds the address; domain rules (free mail, competitors, own staff) only need
  // the domain, so score a placeholder mailbox at the real domain.
  const result = score(
    defaultScoringModel,
    { ...profile, email: emailDomain ? `lead@${emailDomain}` : undefined },
    state.events,
    now,
    {
      stage: state.stage,
    },
  );
  return {
    scores: result.totals,
    explanation: explain(result),
    decision: result.decision.kind,
    causes: result.decision.causes,
    handRaiser: result.decision.reason === 'hand_raiser',
  };
}
