// The variables an email can use: one zod schema (validated on every render) from which the
// catalogue of template paths is derived, so a template can only reference what the schema has.
import { z } from 'zod';

/** http(s) only: a `javascript:` or `data:` URL must never reach an href, escaped or not. */
// z.httpUrl() insists on a domain with a TLD; links to localhost / IPs (dev, tests) are fine too.
const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const Link = z.union([
  HttpUrl,
  z
    .string()
    .max(2048)
    .regex(/^mailto:[^\s<>"]+$/, 'expected an http(s) or mailto: URL'),
]);

export const LeadVars = z.object({
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  company: z.string().max(200).optional(),
  title: z.string().max(200).optional(),
  email: z.string().max(254).optional(),
});

export const SenderVars = z.object({
  /** Person signing the email. */
  name: z.string().min(1).max(100),
  title: z.string().max(100).optional(),
  company: z.string().min(1).max(200),
  /** Postal address line shown in the footer (CAN-SPAM and friends). */
  address: z.string().min(1).max(300),
});

/** Named links (`links.download`, `links.unsubscribe`...). Which ones a template needs is in its contract. */
/** An undefined value counts as absent, so callers can pass optional settings straight through. */
export const LinkVars = z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/), Link.optional());

export const HandoffVars = z.strictObject({
  kind: z.enum(['new', 'reminder', 'escalation']).default('new'),
  handoffId: z.string().max(128).optional(),
  /** Salesperson the lead is routed to. */
  owner: z.string().max(200).optional(),
  /** One line on who the lead is and what they did, e.g. "Requested a demo after 3 pricing visits". */
  summary: z.string().max(500).optional(),
  /** Score per dimension (0-100 each). */
  scores: z.object({ fit: z.number(), engagement: z.number(), intent: z.number() }),
  /** "Why" lines: the rules that fired. */
  reasons: z.array(z.string().max(300)).max(20),
  /** One-click feedback links (signed tokens). */
  feedback: z.object({ accept: HttpUrl, reject: HttpUrl, won: HttpUrl, lost: HttpUrl }),
});

export const ContentItem = z.strictObject({
  title: z.string().min(1).max(200),
  summary: z.string().max(500).optional(),
  url: HttpUrl,
});

export const ContentVars = z.strictObject({
  /** Name of the asset: ebook, webinar, newsletter issue. */
  title: z.string().max(200).optional(),
  summary: z.string().max(1000).optional(),
  /** Preformatted date line, e.g. "Thursday 12 June, 16:00 CET". */
  date: z.string().max(100).optional(),
  items: z.array(ContentItem).max(10).optional(),
});

export const RenderVars = z.object({
  lead: LeadVars.default({}),
  sender: SenderVars,
  links: LinkVars,
  handoff: HandoffVars.optional(),
  content: ContentVars.optional(),
});
export type RenderVars = z.infer<typeof RenderVars>;
export type RenderVarsInput = z.input<typeof RenderVars>;

/** One level deep partial: what `registry.preview()` merges over the built-in sample. */
export type RenderVarsSample = { [K in keyof RenderVarsInput]?: Partial<NonNullable<RenderVarsInput[K]>> };

export type PathKind = 'leaf' | 'object' | 'array';

/**
 * Values computed at render time (not passed by callers), usable by every template:
 * `email.subject` / `email.preheader` are the personalised subject and preheader, `lead.name` is
 * "First Last" (empty when unknown), `handoff.reminder` / `handoff.escalation` mirror `handoff.kind`
 * so a logic-less template can branch on them.
 */
export const COMPUTED_PATHS: Readonly<Record<string, PathKind>> = {
  email: 'object',
  'email.subject': 'leaf',
  'email.preheader': 'leaf',
  'lead.name': 'leaf',
  'handoff.reminder': 'leaf',
  'handoff.escalation': 'leaf',
};

/** Catalogue of template paths: `links.*` matches any link name, `[]` stands for an array element. */
function catalogue(schema: z.ZodType): Map<string, PathKind> {
  const out = new Map<string, PathKind>();
  const walk = (s: z.ZodType, path: string): void => {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
      walk(s.unwrap() as z.ZodType, path);
    } else if (s instanceof z.ZodObject) {
      if (path) out.set(path, 'object');
      for (const [key, child] of Object.entries(s.shape))
        walk(child as z.ZodType, path ? `${path}.${key}` : key);
    } else if (s instanceof z.ZodArray) {
      out.set(path, 'array');
      walk(s.element as z.ZodType, `${path}.[]`);
    } else if (s instanceof z.ZodRecord) {
      out.set(path, 'object');
      walk(s.valueType as z.ZodType, `${path}.*`);
    } else {
      out.set(path, 'leaf');
    }
  };
  walk(schema, '');
  for (const [path, kind] of Object.entries(COMPUTED_PATHS)) out.set(path, kind);
  return out;
}

const CATALOGUE = catalogue(RenderVars);

/** What a path is in the schema (`undefined`: not a variable a template may use). */
export function pathKind(path: string): PathKind | undefined {
  const exact = CATALOGUE.get(path);
  if (exact) return exact;
  // Record keys: links.download -> links.*
  const parts = path.split('.');
  for (let i = parts.length - 1; i >= 0; i--) {
    const candidate = [...parts.slice(0, i), '*', ...parts.slice(i + 1)].join('.');
    const kind = CATALOGUE.get(candidate);
    if (kind) return kind;
  }
  return undefined;
}

/** Reads a dotted path (no arrays) from a value; `undefined` if any step is missing. */
export function getPath(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Sample data covering every built-in template: used by `preview()`, the tests and the benchmark. */
export const SAMPLE_VARS: RenderVarsInput = {
  lead: {
    firstName: 'Jane',
    lastName: 'Doe',
    company: 'Northwind Logistics',
    title: 'VP Operations',
    email: 'jane.doe@northwind.example',
  },
  sender: {
    name: 'Alex Morgan',
    title: 'Customer Success Lead',
    company: 'Acme Analytics',
    address: 'Acme Analytics Ltd, 12 Harbour Street, Bristol BS1 4RT, United Kingdom',
  },
  links: {
    unsubscribe: 'https://mail.acme.example/u/sample-token',
    preferences: 'https://mail.acme.example/preferences/sample-token',
    download: 'https://acme.example/content/ebook/operations-playbook.pdf',
    content: 'https://acme.example/resources',
    webinar: 'https://acme.example/webinars/forecasting-live',
    pricing: 'https://acme.example/pricing',
    demo: 'https://acme.example/demo?utm_source=email&utm_medium=nurture',
    lead: 'https://app.acme.example/dashboard/leads/lead_123',
  },
  content: {
    title: 'The Operations Analytics Playbook',
    summary: 'Five dashboards every operations team should have, and how to build them in a week.',
    date: 'Thursday 12 June, 16:00 CET',
    items: [
      {
        title: 'How Contoso cut late deliveries by 18%',
        summary: 'A case study in forecasting demand from order history.',
        url: 'https://acme.example/blog/contoso-case-study',
      },
      {
        title: 'Five metrics your warehouse dashboard is missing',
        summary: 'A checklist you can use in your next ops review.',
        url: 'https://acme.example/blog/warehouse-metrics',
      },
      {
        title: 'Template: weekly operations report',
        url: 'https://acme.example/templates/weekly-ops-report',
      },
    ],
  },
  handoff: {
    kind: 'new',
    handoffId: 'ho_123',
    owner: 'Sam Carter',
    summary: 'Requested a demo after three visits to the pricing page this week.',
    scores: { fit: 82, engagement: 64, intent: 91 },
    reasons: [
      'Demo request on 3 June (hand-raiser)',
      'VP-level title at a 250-person logistics company (ideal profile)',
      'Viewed pricing 3 times in 7 days',
    ],
    feedback: {
      accept: 'https://app.acme.example/v1/feedback/accept-token',
      reject: 'https://app.acme.example/v1/feedback/reject-token',
      won: 'https://app.acme.example/v1/feedback/won-token',
      lost: 'https://app.acme.example/v1/feedback/lost-token',
    },
  },
};
