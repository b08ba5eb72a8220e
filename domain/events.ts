// Engagement events as the engine understands them. One schema serves the API (validation),
// the workflow (signals) and scoring (rules match on type/channel/properties).
import { z } from 'zod';

export const EVENT_TYPES = [
  // engagement: "knows us"
  'email_open',
  'email_click',
  'email_reply',
  'page_view',
  'content_download',
  'webinar_registered',
  'webinar_attended',
  'newsletter_signup',
  'social_engagement',
  'form_submitted',
  'product_signal',
  // intent: purchase situation; demo/contact requests are the hand-raisers
  'demo_request',
  'contact_request',
  'pricing_request',
  'rfp_submitted',
  // negative
  'unsubscribe',
  'bounce',
  'complaint',
  'custom',
] as const;

export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

export const Channel = z.enum([
  'email',
  'web',
  'social',
  'webinar',
  'product',
  'sales',
  'ads',
  'import',
  'other',
]);
export type Channel = z.infer<typeof Channel>;

/** Free-form properties: scalar values only, so rules can match on them and history stays small. */
export const EventProperties = z.record(
  z.string().max(64),
  z.union([z.string().max(2048), z.number(), z.boolean(), z.null()]),
);

export const EngagementEvent = z.object({
  /** Internal event id (database row id); stable across replays. */
  id: z.string().min(1).max(128),
  type: EventType,
  channel: Channel.optional(),
  /** Epoch milliseconds: workflows and scoring never parse dates. */
  occurredAt: z.number().int().nonnegative(),
  properties: EventProperties.default({}),
  /** False for events recorded but not scored (machine opens, link scanners). */
  scored: z.boolean().default(true),
});
export type EngagementEvent = z.infer<typeof EngagementEvent>;
export type EngagementEventInput = z.input<typeof EngagementEvent>;
