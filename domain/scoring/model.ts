// The scoring model: versioned data (not code) describing how a lead is scored on three dimensions
// (fit: "is it our buyer persona", engagement: "does it know us", intent: "is it in a purchasing
// situation"), what takes points away, what disqualifies outright and when a lead becomes an MQL.
// SQL is never decided here: that is a sales decision (see domain/lifecycle).
import { z } from 'zod';
import { Channel, EventType } from '../events.ts';
import { LeadProfile, Seniority } from '../profile.ts';
import { ScoringModelError, toFieldIssues } from './errors.ts';

export const DIMENSIONS = ['fit', 'engagement', 'intent'] as const;
export const Dimension = z.enum(DIMENSIONS);
export type Dimension = z.infer<typeof Dimension>;

/** Common free-mail providers: an address there says little about the company behind the lead. */
export const DEFAULT_FREE_MAIL_DOMAINS: readonly string[] = [
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'ymail.com',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'msn.com',
  'aol.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'mail.com',
  'proton.me',
  'protonmail.com',
  'yandex.com',
  'yandex.ru',
  'qq.com',
  '163.com',
  'zoho.com',
  'fastmail.com',
];

const RuleId = z
  .string()
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'must start with a letter or digit and use only letters, digits, . _ : -',
  );
const Description = z.string().max(500).optional();
const Scalar = z.union([z.string().max(2048), z.number(), z.boolean(), z.null()]);
const Days = z.number().positive();

const MATCH_OPS = ['equals', 'in', 'prefix', 'contains', 'regex', 'present'] as const;

/** How one value (an event property or a custom profile field) is matched: exactly one operator. */
export const ValueMatcher = z
  .strictObject({
    equals: Scalar.optional(),
    in: z.array(Scalar).min(1).max(1000).optional(),
    prefix: z.string().min(1).max(2048).optional(),
    contains: z.string().min(1).max(2048).optional(),
    /** JavaScript regular expression source, no flags (use ignoreCase). */
    regex: z.string().min(1).max(500).optional(),
    /** true: the value is set and not empty; false: it is missing or empty. */
    present: z.boolean().optional(),
    /** Compare strings case-insensitively. */
    ignoreCase: z.boolean().optional(),
  })
  .superRefine((m, ctx) => {
    const ops = MATCH_OPS.filter((op) => m[op] !== undefined);
    if (ops.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `must set exactly one of ${MATCH_OPS.join(', ')} (got ${ops.length === 0 ? 'none' : ops.join(', ')})`,
      });
    }
    if (m.regex !== undefined) {
      try {
        new RegExp(m.regex);
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['regex'],
          message: `invalid regular expression (${(err as Error).message})`,
        });
      }
    }
  });
export type ValueMatcher = z.infer<typeof ValueMatcher>;

/** Which events a rule applies to: any of `types`, optionally only on some channels and with matching properties. */
export const EventMatch = z.strictObject({
  types: z.array(EventType).min(1),
  channels: z.array(Channel).min(1).optional(),
  /** Every listed property must match (AND), e.g. `{ path: { prefix: '/pricing' } }`. */
  properties: z.record(z.string().min(1).max(64), ValueMatcher).optional(),
});
export type EventMatch = z.infer<typeof EventMatch>;

/**
 * Anti-farming cap for an event rule: at most `maxHits` hits and/or `maxPoints` points per rolling
 * window of `periodDays` (lifetime when omitted). The most recent hits are the ones that count.
 */
export const Cap = z
  .strictObject({
    maxHits: z.number().int().positive().optional(),
    maxPoints: z.number().positive().optional(),
    periodDays: Days.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.maxHits === undefined && c.maxPoints === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'must set maxHits or maxPoints' });
    }
  });
export type Cap = z.infer<typeof Cap>;

const eventRuleShape = {
  id: RuleId,
  description: Description,
  match: EventMatch,
  /** Points lose half their value every `halfLifeDays` (no decay when omitted). */
  halfLifeDays: Days.optional(),
  cap: Cap.optional(),
};

/** Engagement: points per action ("knows us"). */
export const EngagementRule = z.strictObject({ ...eventRuleShape, points: z.number().positive() });
export type EngagementRule = z.infer<typeof EngagementRule>;

// Profile conditions -------------------------------------------------------------------------------

const StringList = z.array(z.string().min(1).max(254)).min(1).max(5000);

export const ProfileCondition = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('seniority'), in: z.array(Seniority).min(1) }),
  z.strictObject({ kind: z.literal('decision_maker'), is: z.boolean().default(true) }),
  z
    .strictObject({
      kind: z.literal('company_size'),
      /** Inclusive bounds on employee count. */
      min: z.number().int().nonnegative().optional(),
      max: z.number().int().nonnegative().optional(),
    })
    .superRefine((c, ctx) => {
      if (c.min === undefined && c.max === undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: 'must set min or max' });
      } else if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: 'must be >= min' });
      }
    }),
  /** Case-insensitive. */
  z.strictObject({ kind: z.literal('industry'), in: StringList }),
  /** ISO 3166-1 alpha-2, case-insensitive. */
  z.strictObject({ kind: z.literal('country'), in: z.array(z.string().length(2)).min(1) }),
  /** Business vs free-mail address (the lead's email domain against `freeMailDomains`). */
  z.strictObject({
    kind: z.literal('email_type'),
    is: z.enum(['business', 'free']),
    freeMailDomains: StringList.optional(),
  }),
  /** Email domain (or a subdomain of it) in the list: competitors, own staff... */
  z.strictObject({ kind: z.literal('email_domain'), in: StringList }),
  /** Exact addresses (case-insensitive): spam traps, known bad addresses. */
  z.strictObject({ kind: z.literal('email_address'), in: StringList }),
  /** Any of these tags (case-insensitive). */
  z.strictObject({ kind: z.literal('tag'), in: StringList }),
  /** A custom field (profile.fields[name]). */
  z.strictObject({ kind: z.literal('field'), name: z.string().min(1).max(64), value: ValueMatcher }),
  /** Plans to buy within [minMonths, maxMonths] months (inclusive). */
  z
    .strictObject({
      kind: z.literal('purchase_timeline'),
      maxMonths: z.number().int().nonnegative(),
      minMonths: z.number().int().nonnegative().optional(),
    })
    .superRefine((c, ctx) => {
      if (c.minMonths !== undefined && c.minMonths > c.maxMonths) {
        ctx.addIssue({ code: 'custom', path: ['minMonths'], message: 'must be <= maxMonths' });
      }
    }),
  /** The project ranks at most `max` among the lead's priorities (1 = top). */
  z.strictObject({ kind: z.literal('priority_rank'), max: z.number().int().positive() }),
  z.strictObject({ kind: z.literal('competing_proposals'), is: z.boolean().default(true) }),
]);
export type ProfileCondition = z.infer<typeof ProfileCondition>;

const PROFILE_KEYS = Object.keys(LeadProfile.shape);

/** Fit only: points × (fraction of the listed fields that are filled in). */
export const CompletenessCondition = z.strictObject({
  kind: z.literal('completeness'),
  /** Profile keys (`email`, `company`...) or custom fields as `fields.<name>`. */
  fields: z
    .array(
      z
        .string()
        .refine(
          (f) => PROFILE_KEYS.includes(f) || /^fields\.[^.]{1,64}$/.test(f),
          'must be a profile key or fields.<name>',
        ),
    )
    .min(1),
});
export type CompletenessCondition = z.infer<typeof CompletenessCondition>;

export const FitCondition = z.discriminatedUnion('kind', [
  ...ProfileCondition.options,
  CompletenessCondition,
]);
export type FitCondition = z.infer<typeof FitCondition>;

/** Fit: profile attributes. Points may be negative (e.g. a free-mail address), never 0. */
export const FitRule = z.strictObject({
  id: RuleId,
  description: Description,
  when: FitCondition,
  points: z.number().refine((n) => n !== 0, 'must not be 0'),
});
export type FitRule = z.infer<typeof FitRule>;

/** Intent ("in a purchasing situation"): events (demo request, pricing page, RFP) or profile answers. */
export const IntentRule = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('event'), ...eventRuleShape, points: z.number().positive() }),
  z.strictObject({
    kind: z.literal('profile'),
    id: RuleId,
    description: Description,
    when: ProfileCondition,
    points: z.number().positive(),
  }),
]);
export type IntentRule = z.infer<typeof IntentRule>;

/** Negative points: events (unsubscribe, bounce, complaint) or inactivity. Points must be < 0. */
export const NegativeRule = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('event'),
    ...eventRuleShape,
    points: z.number().negative(),
    dimension: Dimension.default('engagement'),
  }),
  z.strictObject({
    kind: z.literal('inactivity'),
    id: RuleId,
    description: Description,
    /** Applies once `days` have passed since the last event that matched a positive event rule. */
    days: Days,
    points: z.number().negative(),
    dimension: Dimension.default('engagement'),
  }),
]);
export type NegativeRule = z.infer<typeof NegativeRule>;

/** Hard disqualifier: a matching profile (or any matching event) disqualifies, whatever the scores. */
export const Disqualifier = z.strictObject({
  id: RuleId,
  description: Description,
  when: z.discriminatedUnion('kind', [
    ...ProfileCondition.options,
    z.strictObject({ kind: z.literal('event'), match: EventMatch }),
  ]),
});
export type Disqualifier = z.infer<typeof Disqualifier>;

/** Hand-raiser: a bottom-of-funnel action that makes the lead an MQL whatever its scores (unless disqualified). */
export const HandRaiser = z.strictObject({
  id: RuleId,
  description: Description,
  match: EventMatch,
  /** Only counts if it happened in the last `withinDays` (always when omitted). */
  withinDays: Days.optional(),
});
export type HandRaiser = z.infer<typeof HandRaiser>;

export const Thresholds = z.strictObject({
  /** MQL when fit, engagement AND intent each reach their threshold. */
  mql: z.strictObject({
    fit: z.number().nonnegative(),
    engagement: z.number().nonnegative(),
    intent: z.number().nonnegative(),
  }),
  /**
   * An MQL nobody acted on goes back to nurture ("not ready to buy yet", not dead) when its engagement
   * decays below `engagementBelow` or it shows no activity for `inactiveDays`.
   */
  recycle: z
    .strictObject({
      engagementBelow: z.number().nonnegative().optional(),
      inactiveDays: Days.optional(),
    })
    .optional(),
});
export type Thresholds = z.infer<typeof Thresholds>;

export const RULE_SECTIONS = [
  'fit',
  'engagement',
  'intent',
  'negative',
  'disqualifiers',
  'handRaisers',
] as const;

export const ScoringModel = z
  .strictObject({
    id: RuleId,
    /** Bump on every change; results and stage transitions record which version decided. */
    version: z.number().int().positive(),
    description: z.string().max(2000).optional(),
    fit: z.array(FitRule).max(500).default([]),
    engagement: z.array(EngagementRule).max(500).default([]),
    intent: z.array(IntentRule).max(500).default([]),
    negative: z.array(NegativeRule).max(500).default([]),
    disqualifiers: z.array(Disqualifier).max(500).default([]),
    handRaisers: z.array(HandRaiser).max(100).default([]),
    thresholds: Thresholds,
  })
  .superRefine((model, ctx) => {
    const seen = new Map<string, string>();
    for (const section of RULE_SECTIONS) {
      model[section].forEach((rule, i) => {
        const where = `${section}[${i}]`;
        const first = seen.get(rule.id);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [section, i, 'id'],
            message: `duplicate rule id "${rule.id}" (also ${first})`,
          });
        } else seen.set(rule.id, where);
      });
    }
  });
export type ScoringModel = z.infer<typeof ScoringModel>;
export type ScoringModelInput = z.input<typeof ScoringModel>;

/** Validates a model; throws ScoringModelError whose message names each bad field by path. */
export function parseScoringModel(input: unknown): ScoringModel {
  const parsed = ScoringModel.safeParse(input);
  if (!parsed.success) throw new ScoringModelError(toFieldIssues(parsed.error));
  return parsed.data;
}

/** Identity helper that type-checks a model literal written in TypeScript. */
export function defineScoringModel(input: ScoringModelInput): ScoringModelInput {
  return input;
}

/**
 * Every address an `email_address` condition of the model names (spam traps, blocked addresses),
 * lower-cased. Journeys never hold a lead's address; the front door passes it in only when the
 * model lists it, so address rules work without putting anyone else's address in a workflow.
 */
export function listedAddresses(model: ScoringModel): ReadonlySet<string> {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object') {
      const o = v as { kind?: unknown; in?: unknown };
      if (o.kind === 'email_address' && Array.isArray(o.in))
        for (const a of o.in) if (typeof a === 'string') found.add(a.trim().toLowerCase());
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk(model);
  return found;
}
