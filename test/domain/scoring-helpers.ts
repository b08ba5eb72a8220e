// Small builders shared by the scoring tests.
import type { EngagementEventInput, EventType } from '../../domain/events.ts';
import { parseScoringModel, type ScoringModel, type ScoringModelInput } from '../../domain/scoring/index.ts';

export const DAY = 86_400_000;
export const NOW = Date.UTC(2025, 0, 31, 12);

let seq = 0;
export function ev(
  type: EventType,
  daysAgo: number,
  extra: Partial<EngagementEventInput> = {},
): EngagementEventInput {
  seq += 1;
  return { id: `e${seq}`, type, occurredAt: NOW - daysAgo * DAY, ...extra };
}

/** A model with only the given sections and zero thresholds unless set. */
export function model(parts: Partial<ScoringModelInput> = {}): ScoringModel {
  return parseScoringModel({
    id: 'test',
    version: 1,
    thresholds: { mql: { fit: 0, engagement: 0, intent: 0 } },
    ...parts,
  });
}

export const unreachable = { mql: { fit: 1000, engagement: 1000, intent: 1000 } };
