// Search attributes make leads listable and filterable in the Temporal UI
// (e.g. `LeadStage = "mql" AND ScoreIntent > 20`). They must be registered on the server:
// the dev server gets them via --search-attribute flags (see temporal/search-attributes.ts).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { Scores } from './definitions.ts';

export const LeadStage = defineSearchAttributeKey('LeadStage', SearchAttributeType.KEYWORD);
export const LeadSequence = defineSearchAttributeKey('LeadSequence', SearchAttributeType.KEYWORD);
export const LeadStep = defineSearchAttributeKey('LeadStep', SearchAttributeType.KEYWORD);
export const ScoreFit = defineSearchAttributeKey('ScoreFit', SearchAttributeType.DOUBLE);
export const ScoreEngagement = defineSearchAttributeKey('ScoreEngagement', SearchAttributeType.DOUBLE);
export const ScoreIntent = defineSearchAttributeKey('ScoreIntent', SearchAttributeType.DOUBLE);

export const LEAD_SEARCH_ATTRIBUTES = [
  LeadStage,
  LeadSequence,
  LeadStep,
  ScoreFit,
  ScoreEngagement,
  ScoreIntent,
];

let last = '';

export function upsertLeadSearchAttributes(v: {
  stage: string;
  scores: Scores;
  sequence?: string;
  step?: string;
}): void {
  const round = (n: number) => Math.round(n * 100) / 100;
  const next = {
    LeadStage: [v.stage],
    LeadSequence: v.sequence ? [v.sequence] : [],
    LeadStep: v.step ? [v.step] : [],
    ScoreFit: [round(v.scores.fit)],
    ScoreEngagement: [round(v.scores.engagement)],
    ScoreIntent: [round(v.scores.intent)],
  };
  // Only upsert on change: every upsert is a history event.
  const key = JSON.stringify(next);
  if (key === last) return;
  last = key;
  upsertSearchAttributes(next);
}
