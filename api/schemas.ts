// Request bodies, from the domain's zod schemas: the OpenAPI document is generated from these.
import { z } from 'zod';
import { Channel, EventProperties, EventType } from '../domain/events.ts';
import { LeadProfile } from '../domain/profile.ts';

export const EventBody = z
  .object({
    email: z.string().trim().email('must be a valid email address').max(254),
    type: EventType,
    channel: Channel.optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional().describe('ISO 8601; defaults to now'),
    properties: EventProperties.optional(),
    clientEventId: z.string().min(1).max(200).optional().describe('your id: the same id twice is accepted once'),
    profile: LeadProfile.omit({ email: true }).partial().optional(),
    sequence: z.string().min(1).max(64).optional().describe('sequence to enrol a new lead in'),
  })
  .strict();
export type EventBody = z.infer<typeof EventBody>;

export const EventAccepted = z.object({
  leadId: z.string(),
  eventId: z.string(),
  duplicate: z.boolean(),
  delivered: z.boolean().describe('false: stored, and delivered to the workflow when Temporal is reachable again'),
});

export const FeedbackBody = z
  .object({
    kind: z.enum(['accept', 'reject', 'opportunity', 'won', 'lost']),
    reason: z.string().min(1).max(1000).optional(),
    actor: z.string().min(1).max(200),
    handoffId: z.string().optional(),
  })
  .strict();

export const ErrorBody = z.object({ error: z.string(), issues: z.array(z.object({ field: z.string(), message: z.string() })) });
export const LeadIdParams = z.object({ id: z.string().uuid('must be a lead id (uuid)') });
export const TokenParams = z.object({ token: z.string().min(10).max(4096) });
