// Boundary validation for scoring inputs: score() trusts its arguments (it runs on every signal), so
// untrusted events and profiles go through these first. Errors name the bad field, e.g.
// `events[3].occurredAt: expected number, received string`.
import { z } from 'zod';
import { EngagementEvent } from '../events.ts';
import { LeadProfile } from '../profile.ts';
import { ScoringInputError, toFieldIssues } from './errors.ts';

const EventList = z.array(EngagementEvent);

export function parseEvents(input: unknown): EngagementEvent[] {
  const parsed = EventList.safeParse(input);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error).map((i) => ({
      ...i,
      path: i.path.startsWith('[') ? `events${i.path}` : i.path === '' ? 'events' : `events.${i.path}`,
    }));
    throw new ScoringInputError('invalid events', issues);
  }
  return parsed.data;
}

export function parseProfile(input: unknown): LeadProfile {
  const parsed = LeadProfile.safeParse(input);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error).map((i) => ({
      ...i,
      path: i.path === '' ? 'profile' : i.path.startsWith('[') ? `profile${i.path}` : `profile.${i.path}`,
    }));
    throw new ScoringInputError('invalid profile', issues);
  }
  return parsed.data;
}
