// Request and response bodies, from the domain's zod schemas: the OpenAPI document is generated from these.
import { z } from 'zod';
import { Channel, EventProperties, EventType } from '../domain/events.ts';
import { LeadProfile, Seniority } from '../domain/profile.ts';
import { catalog } from '../sequences/index.ts';

export const MAX_BATCH = 100;

const tzCache = new Map<string, boolean>();
/** An IANA time zone the runtime knows (quiet hours are computed in it). */
export function isTimeZone(tz: string): boolean {
  let ok = tzCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (tzCache.size < 1_000) tzCache.set(tz, ok);
  }
  return ok;
}

export const Email = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
  .trim()
  .max(254)
  .email('must be a valid email address');
export const TimeZone = z
  .string()
  .max(64)
  .refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin');
export const Country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, e.g. DE')
  .transform((c) => c.toUpperCase());
export const SequenceId = z
  .string()
  .min(1)
  .max(64)
  .refine((id) => catalog.latest(id) !== undefined, {
    message: `must be a known sequence (${catalog.ids().join(', ')})`,
  });

/**
 * Profile attributes (everything but the address). Unlike the domain schema there are no defaults:
 * an attribute left out is kept as stored, never reset to empty.
 */
export const ProfileInput = LeadProfile.omit({
  email: true,
  fields: true,
  tags: true,
  country: true,
  timezone: true,
})
  .partial()
  .extend({
    country: Country.optional(),
    timezone: TimeZone.optional(),
    fields: LeadProfile.shape.fields.unwrap().optional().describe('custom attributes; merged key by key'),
    tags: LeadProfile.shape.tags.unwrap().optional().describe('replaces the stored tags'),
  })
  .strict();
export type ProfileInput = z.infer<typeof ProfileInput>;

const EARLIEST_EVENT = Date.UTC(2000, 0, 1);
const LATEST_SKEW_MS = 86_400_000;

export const EventBody = z
  .object({
    email: Email,
    type: EventType,
    channel: Channel.optional(),
    occurredAt: z.iso
      .datetime({ offset: true })
      .refine((s) => {
        const t = Date.parse(s);
        return t >= EARLIEST_EVENT && t <= Date.now() + LATEST_SKEW_MS;
      }, 'must be between 2000-01-01 and one day from now')
      .optional()
      .describe('ISO 8601; defaults to now'),
    properties: EventProperties.optional(),
    clientEventId: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('your id: the same id twice is accepted once'),
    profile: ProfileInput.optional(),
    sequence: SequenceId.optional().describe('sequence to enrol a new lead in'),
  })
  .strict();
export type EventBody = z.infer<typeof EventBody>;

export const EventAccepted = z.object({
  leadId: z.string(),
  eventId: z.string(),
  duplicate: z.boolean(),
  delivered: z
    .boolean()
    .describe('false: stored, and delivered to the workflow when Temporal is reachable again'),
});

export const Issue = z.object({ field: z.string(), message: z.string() });
export const ErrorBody = z.object({ error: z.string(), issues: z.array(Issue) });

/** Answers of every route that ingests one event: 202 stored, 200 a known `clientEventId`. */
export const EventResponses = {
  202: EventAccepted,
  200: EventAccepted,
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
};

export const BatchBody = z
  .object({
    events: z
      .array(z.unknown().describe('an event, as for POST /v1/events'))
      .min(1)
      .max(MAX_BATCH)
      .describe(`1 to ${MAX_BATCH} events; each is validated and accepted on its own`),
  })
  .strict();

export const BatchItemResult = z.object({
  index: z.number().int(),
  status: z
    .enum(['accepted', 'duplicate', 'rejected', 'failed'])
    .describe('failed: not stored (server trouble), retry it'),
  leadId: z.string().optional(),
  eventId: z.string().optional(),
  delivered: z.boolean().optional(),
  issues: z.array(Issue).optional(),
});
export const BatchResult = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  failed: z.number().int(),
  results: z.array(BatchItemResult),
});

// ---- forms ----

export const FORMS = {
  demo: { type: 'demo_request' },
  'contact-sales': { type: 'contact_request' },
  pricing: { type: 'pricing_request' },
  'buying-guide': { type: 'content_download', properties: { asset: 'buying-guide' } },
} as const satisfies Record<string, { type: EventType; properties?: Record<string, string> }>;
export type FormName = keyof typeof FORMS;

export const FormParams = z.object({
  form: z.enum(Object.keys(FORMS) as [FormName, ...FormName[]], {
    message: `must be one of ${Object.keys(FORMS).join(', ')}`,
  }),
});

/** Form posts (JSON or urlencoded): every value may arrive as a string; an empty field means "not given". */
const formText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((v) => v || undefined)
    .optional();
const formInt = (min: number, max: number) =>
  z
    .union(
      [
        z.number(),
        z.literal('').transform(() => undefined),
        z
          .string()
          .trim()
          .regex(/^\d{1,9}$/)
          .transform(Number),
      ],
      {
        error: 'must be a whole number',
      },
    )
    .pipe(z.number().int().min(min).max(max).optional())
    .optional();
const formBool = z
  .union(
    [
      z.boolean(),
      z.literal('').transform(() => undefined),
      z
        .enum(['true', 'false', 'on', 'yes', 'no', '1', '0'])
        .transform((v) => ['true', 'on', 'yes', '1'].includes(v)),
    ],
    { error: 'must be true or false' },
  )
  .optional();

export const FormBody = z
  .object({
    email: Email,
    firstName: formText(100),
    lastName: formText(100),
    company: formText(200),
    title: formText(200),
    seniority: Seniority.optional(),
    decisionMaker: formBool,
    companySize: formInt(0, 10_000_000),
    industry: formText(100),
    country: Country.optional(),
    timezone: TimeZone.optional(),
    purchaseTimelineMonths: formInt(0, 120),
    page: formText(2048).describe('page the form was on'),
    clientEventId: z.string().min(1).max(200).optional().describe('the same id twice is accepted once'),
  })
  .strict();
export type FormBody = z.infer<typeof FormBody>;

// ---- leads ----

export const LeadUpsertBody = ProfileInput.extend({ email: Email }).strict();
export const LeadSaved = z.object({
  leadId: z.string(),
  created: z.boolean(),
  changed: z.array(z.string()).describe('attributes that changed'),
  signalled: z.boolean().describe('true when a running journey was told about the change'),
});
export const LeadErasure = z.object({
  leadId: z.string(),
  status: z
    .enum(['requested', 'erased', 'erased_directly'])
    .describe(
      'requested: the journey erases and completes; erased_directly: no running journey, erased now; erased: already',
    ),
});

export const FeedbackBody = z
  .object({
    kind: z.enum(['accept', 'reject', 'opportunity', 'won', 'lost']),
    reason: z.string().trim().min(1).max(1000).optional().describe('required for reject and lost'),
    actor: z.string().trim().min(1).max(200).describe('sales user id (not an email address)'),
    handoffId: z.string().min(1).max(200).optional(),
  })
  .strict();

// ---- imports ----

/** One CSV row (header names as keys, empty cells left out): the import's per-row validation. */
export const CSV_COLUMNS = [
  'email',
  'first_name',
  'last_name',
  'company',
  'title',
  'country',
  'timezone',
  'seniority',
  'company_size',
  'industry',
  'sequence',
] as const;
export const CsvRow = z
  .object({
    email: Email,
    first_name: z.string().max(100).optional(),
    last_name: z.string().max(100).optional(),
    company: z.string().max(200).optional(),
    title: z.string().max(200).optional(),
    country: Country.optional(),
    timezone: TimeZone.optional(),
    seniority: z
      .string()
      .transform((v) => v.toLowerCase().replace(/[\s-]+/g, '_'))
      .pipe(Seniority)
      .optional(),
    company_size: z
      .string()
      .regex(/^\d{1,9}$/, 'must be a whole number')
      .transform(Number)
      .optional(),
    industry: z.string().max(100).optional(),
    sequence: SequenceId.optional(),
  })
  .strict();
export type CsvRow = z.infer<typeof CsvRow>;

export const ImportQuery = z
  .object({
    sequence: SequenceId.optional().describe('sequence for rows without a sequence column'),
  })
  .strict();

export const ImportReport = z.object({
  importId: z.string(),
  accepted: z.number().int().describe('rows stored (and enrolled)'),
  undelivered: z.number().int().describe('accepted rows left to the outbox (Temporal unreachable)'),
  rejected: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
  rejectedRows: z.number().int(),
  truncated: z.boolean().describe('true when more rejections happened than are listed'),
  complete: z
    .boolean()
    .describe('false when the file could not be read to the end (malformed CSV; see rejected)'),
});

export const LeadIdParams = z.object({ id: z.string().uuid('must be a lead id (uuid)') });
export const TokenParams = z.object({ token: z.string().min(10).max(4096) });
