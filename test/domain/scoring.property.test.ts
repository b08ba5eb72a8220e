// Property-based tests (fast-check) for scoring, lifecycle transitions and validation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Channel, type EngagementEventInput, EVENT_TYPES, type EventType } from '../../domain/events.ts';
import { ALLOWED_TRANSITIONS, canTransition, STAGES, type Stage } from '../../domain/lifecycle/index.ts';
import type { LeadProfileInput } from '../../domain/profile.ts';
import {
  applyDecision,
  DIMENSIONS,
  defaultScoringModel,
  formatPath,
  parseEvents,
  parseScoringModel,
  replayLead,
  type ScoringModel,
  score,
} from '../../domain/scoring/index.ts';
import { DAY, NOW } from './scoring-helpers.ts';

const HOUR = 3_600_000;
const NEGATIVE_TYPES: readonly EventType[] = ['unsubscribe', 'bounce', 'complaint'];
const POSITIVE_TYPES = EVENT_TYPES.filter((t) => !NEGATIVE_TYPES.includes(t));

/** A model that leans on the tricky parts: rolling caps by hits and by points (partial awards), decay. */
const capsModel: ScoringModel = parseScoringModel({
  id: 'caps',
  version: 1,
  fit: [{ id: 'f', when: { kind: 'seniority', in: ['vp', 'director'] }, points: 30 }],
  engagement: [
    {
      id: 'pv',
      match: { types: ['page_view'] },
      points: 3,
      halfLifeDays: 10,
      cap: { maxHits: 2, periodDays: 1 },
    },
    {
      id: 'pv.pts',
      match: { types: ['page_view', 'email_click'] },
      points: 4,
      cap: { maxPoints: 10, periodDays: 3 },
    },
    {
      id: 'dl',
      match: { types: ['content_download'] },
      points: 7,
      halfLifeDays: 5,
      cap: { maxHits: 1, maxPoints: 5, periodDays: 2 },
    },
    {
      id: 'life',
      match: { types: ['email_open', 'newsletter_signup'] },
      points: 2,
      halfLifeDays: 3,
      cap: { maxHits: 3 },
    },
    { id: 'open', match: { types: ['email_open'] }, points: 1 },
  ],
  intent: [
    {
      kind: 'event',
      id: 'demo',
      match: { types: ['demo_request', 'rfp_submitted'] },
      points: 20,
      halfLifeDays: 7,
      cap: { maxPoints: 30 },
    },
    {
      kind: 'event',
      id: 'pricing',
      match: { types: ['page_view'], properties: { path: { prefix: '/pricing' } } },
      points: 5,
      halfLifeDays: 2,
      cap: { maxHits: 1, periodDays: 0.5 },
    },
  ],
  negative: [
    { kind: 'event', id: 'unsub', match: { types: ['unsubscribe'] }, points: -8, halfLifeDays: 30 },
    { kind: 'inactivity', id: 'quiet', days: 20, points: -6 },
  ],
  disqualifiers: [{ id: 'dq', when: { kind: 'tag', in: ['spam_trap'] } }],
  handRaisers: [{ id: 'hr', match: { types: ['demo_request'] }, withinDays: 10 }],
  thresholds: {
    mql: { fit: 20, engagement: 15, intent: 10 },
    recycle: { engagementBelow: 8, inactiveDays: 15 },
  },
});
const noNegatives = (m: ScoringModel): ScoringModel =>
  parseScoringModel({ ...m, id: `${m.id}-pos`, negative: [] });
const MODELS = [defaultScoringModel, capsModel];

// Arbitraries -----------------------------------------------------------------------------------------

/** Hours before NOW: a narrow range makes ties and cap windows common. */
const hoursAgo = fc.oneof(fc.integer({ min: 0, max: 72 }), fc.integer({ min: 0, max: 24 * 200 }));

const eventBody = (types: readonly EventType[]) =>
  fc.record({
    type: fc.constantFrom(...types),
    channel: fc.option(fc.constantFrom(...Channel.options), { nil: undefined }),
    hoursAgo,
    path: fc.constantFrom('/', '/pricing', '/pricing/teams', '/blog/a'),
    form: fc.constantFrom(undefined, 'talk-to-sales', 'newsletter'),
    scored: fc.oneof(
      { weight: 9, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
  });

type Body = {
  type: EventType;
  channel: ChannelName | undefined;
  hoursAgo: number;
  path: string;
  form: string | undefined;
  scored: boolean;
};
type ChannelName = (typeof Channel.options)[number];

function toEvent(b: Body, id: string): EngagementEventInput {
  const e: EngagementEventInput = {
    id,
    type: b.type,
    occurredAt: NOW - b.hoursAgo * HOUR,
    properties: b.form === undefined ? { path: b.path } : { path: b.path, form: b.form },
    scored: b.scored,
  };
  if (b.channel !== undefined) e.channel = b.channel;
  return e;
}

const eventsArb = (types: readonly EventType[] = EVENT_TYPES, maxLength = 40) =>
  fc.array(eventBody(types), { maxLength }).map((bodies) => bodies.map((b, i) => toEvent(b, `e${i}`)));

const profileArb: fc.Arbitrary<LeadProfileInput> = fc.record(
  {
    email: fc.constantFrom('ann@acme.io', 'bob@gmail.com', 'x@competitor.example', 'me@ourcompany.example'),
    firstName: fc.constantFrom('Ann', ''),
    company: fc.constant('Acme'),
    seniority: fc.constantFrom('c_level', 'vp', 'director', 'manager', 'individual', 'student', 'unknown'),
    decisionMaker: fc.boolean(),
    companySize: fc.integer({ min: 0, max: 20_000 }),
    industry: fc.constantFrom('SaaS', 'retail', 'manufacturing'),
    country: fc.constantFrom('DE', 'US', 'BR'),
    purchaseTimelineMonths: fc.integer({ min: 0, max: 24 }),
    priorityRank: fc.integer({ min: 1, max: 10 }),
    competingProposals: fc.boolean(),
    tags: fc.subarray(['abm', 'job_seeker', 'spam_trap', 'partner']),
    fields: fc.record({ phone: fc.constant('+1 555'), jobSeeker: fc.boolean() }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

/** Profiles that a disqualifier of `model` matches (for the default model and capsModel). */
const disqualifiedProfileArb = fc
  .tuple(
    profileArb,
    fc.constantFrom<Partial<LeadProfileInput>>(
      { seniority: 'student' },
      { tags: ['job_seeker'] },
      { email: 'spy@competitor.example' },
      { email: 'me@ourcompany.example' },
      { tags: ['spam_trap'] },
      { email: 'trap@spamtrap.example' },
      { fields: { jobSeeker: true } },
    ),
  )
  .map(([p, bad]) => ({ ...p, ...bad }));

const stageArb = fc.constantFrom(...STAGES);
const modelArb = fc.constantFrom(...MODELS);

// Properties -------------------------------------------------------------------------------------------

describe('scoring properties', () => {
  it('is deterministic and independent of input order', () => {
    fc.assert(
      fc.property(
        modelArb,
        profileArb,
        eventsArb().chain((events) =>
          fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })),
        ),
        stageArb,
        (model, profile, [events, shuffled], stage) => {
          const a = score(model, profile, events, NOW, { stage });
          expect(score(model, profile, events, NOW, { stage })).toEqual(a);
          expect(score(model, profile, shuffled, NOW, { stage })).toEqual(a);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('adding a positive event never lowers a dimension', () => {
    fc.assert(
      fc.property(
        modelArb,
        profileArb,
        eventsArb(),
        eventBody(POSITIVE_TYPES),
        (model, profile, events, extra) => {
          const before = score(model, profile, events, NOW).totals;
          const after = score(model, profile, [...events, toEvent(extra, 'added')], NOW).totals;
          for (const d of DIMENSIONS) expect(after[d]).toBeGreaterThanOrEqual(before[d]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a disqualified lead is never MQL', () => {
    fc.assert(
      fc.property(
        modelArb,
        disqualifiedProfileArb,
        eventsArb(),
        stageArb,
        (model, profile, events, stage) => {
          const r = score(model, profile, events, NOW, { stage });
          if (model === capsModel && !(profile.tags ?? []).includes('spam_trap')) return; // capsModel: tag only
          expect(r.disqualifiedBy.length).toBeGreaterThan(0);
          expect(r.decision.kind).not.toBe('mql');
          const replay = replayLead(
            model,
            { leadId: 'l', profile, events },
            { initialStage: stage === 'disqualified' ? 'lead' : stage },
          );
          expect(replay.transitions.some((t) => t.to === 'mql')).toBe(false);
          expect(replay.firstMqlAt).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decay is monotone in time: with no new events, no dimension grows', () => {
    const positiveModels = MODELS.map(noNegatives);
    fc.assert(
      fc.property(
        fc.constantFrom(...positiveModels),
        profileArb,
        eventsArb(),
        fc.integer({ min: 0, max: 400 * 24 }),
        fc.integer({ min: 0, max: 400 * 24 }),
        (model, profile, events, h1, h2) => {
          const [early, late] = h1 <= h2 ? [h1, h2] : [h2, h1];
          const a = score(model, profile, events, NOW + early * HOUR).totals;
          const b = score(model, profile, events, NOW + late * HOUR).totals;
          for (const d of DIMENSIONS) expect(b[d]).toBeLessThanOrEqual(a[d]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a single hit decays exactly by its half-life', () => {
    const m = parseScoringModel({
      id: 'one',
      version: 1,
      engagement: [{ id: 'r', match: { types: ['email_click'] }, points: 100, halfLifeDays: 7 }],
      thresholds: { mql: { fit: 0, engagement: 0, intent: 0 } },
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 * 24 }),
        fc.integer({ min: 0, max: 1000 * 24 }),
        (h1, h2) => {
          const event = { id: 'x', type: 'email_click' as const, occurredAt: NOW };
          const at = (h: number) => score(m, {}, [event], NOW + h * HOUR).hits[0]?.decayedPoints ?? 0;
          const expected = (h: number) => Math.round(100 * 0.5 ** (h / (7 * 24)) * 100) / 100;
          expect(at(h1)).toBe(expected(h1));
          if (h1 <= h2) expect(at(h2)).toBeLessThanOrEqual(at(h1));
        },
      ),
    );
  });

  it('every transition the engine emits is in the allowed table', () => {
    fc.assert(
      fc.property(
        modelArb,
        fc.oneof(profileArb, disqualifiedProfileArb),
        eventsArb(EVENT_TYPES, 25),
        stageArb,
        fc.constantFrom(undefined, 1, 7),
        (model, profile, events, initialStage, stepDays) => {
          const replay = replayLead(
            model,
            { leadId: 'l', profile, events },
            { initialStage, stepDays, until: NOW + 60 * DAY },
          );
          let stage: Stage = initialStage;
          for (const t of replay.transitions) {
            expect(t.from).toBe(stage);
            expect(ALLOWED_TRANSITIONS[t.from]).toContain(t.to);
            expect(canTransition(t.from, t.to, t.actor)).toBe(true);
            expect(t.actor.kind).toBe('scoring_rule');
            expect(['sql', 'opportunity', 'customer']).not.toContain(t.to);
            stage = t.to;
          }
          expect(replay.finalStage).toBe(stage);
          // and a single score + applyDecision never produces an illegal move from any stage
          const r = score(model, profile, events, NOW, { stage: initialStage });
          const t = applyDecision(r);
          if (t) expect(ALLOWED_TRANSITIONS[initialStage]).toContain(t.to);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// Validation properties --------------------------------------------------------------------------------

type Key = string | number;
/** A bad value put at `keys` in a copy of the default model, and the message expected for it. */
type Mutation = { keys: Key[]; value: unknown; expect: string };

function setIn(target: unknown, keys: readonly Key[], value: unknown): void {
  let node = target as Record<Key, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<Key, unknown>;
  node[keys[keys.length - 1] as Key] = value;
}

const idx = (section: keyof ScoringModel) =>
  fc.nat({ max: (defaultScoringModel[section] as unknown[]).length - 1 });
const mutation = (keys: Key[], value: unknown, expect: string): Mutation => ({ keys, value, expect });

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .tuple(idx('engagement'), fc.constantFrom(0, -1, -0.5))
    .map(([i, v]) => mutation(['engagement', i, 'halfLifeDays'], v, 'must be > 0')),
  fc
    .tuple(idx('engagement'), fc.constantFrom(0, -3))
    .map(([i, v]) => mutation(['engagement', i, 'points'], v, 'must be > 0')),
  idx('engagement').map((i) =>
    mutation(['engagement', i, 'points'], '10', 'expected number, received string'),
  ),
  idx('engagement').map((i) => mutation(['engagement', i, 'match', 'types', 0], 'visit', 'must be one of')),
  fc
    .tuple(idx('negative'), fc.constantFrom(0, 5))
    .map(([i, v]) => mutation(['negative', i, 'points'], v, 'must be < 0')),
  idx('fit').map((i) => mutation(['fit', i, 'points'], 0, 'must not be 0')),
  idx('intent').map((i) => mutation(['intent', i, 'id'], 'has space', 'must start with a letter or digit')),
  idx('handRaisers').map((i) =>
    mutation(['handRaisers', i, 'match', 'types'], [], 'must have at least 1 item(s)'),
  ),
  idx('disqualifiers').map((i) =>
    mutation(['disqualifiers', i, 'when', 'kind'], 'zodiac_sign', 'must be one of'),
  ),
  fc
    .tuple(fc.constantFrom(...DIMENSIONS), fc.constantFrom(-1, -0.01))
    .map(([d, v]) => mutation(['thresholds', 'mql', d], v, 'must be >= 0')),
);

describe('validation properties', () => {
  it('invalid models are rejected with a message naming the field', () => {
    fc.assert(
      fc.property(mutationArb, (m) => {
        const input = structuredClone(defaultScoringModel);
        setIn(input, m.keys, m.value);
        expect(() => parseScoringModel(input)).toThrowError(`${formatPath(m.keys)}: ${m.expect}`);
      }),
      { numRuns: 300 },
    );
  });

  const eventMutations: Array<[string, unknown, string]> = [
    ['occurredAt', -1, 'must be >= 0'],
    ['occurredAt', 1.5, 'expected integer'],
    ['occurredAt', 'yesterday', 'expected number, received string'],
    ['type', 'visit', 'must be one of'],
    ['id', '', 'must be at least 1 character(s)'],
    ['channel', 'fax', 'must be one of'],
    ['scored', 'yes', 'expected boolean'],
  ];

  it('invalid events are rejected with a message naming the field', () => {
    fc.assert(
      fc.property(
        eventsArb(EVENT_TYPES, 10).filter((e) => e.length > 0),
        fc.nat(),
        fc.constantFrom(...eventMutations),
        (events, n, [field, value, message]) => {
          const i = n % events.length;
          const input = events.map((e, j) => (j === i ? { ...e, [field]: value } : e));
          expect(() => parseEvents(input)).toThrowError(`events[${i}].${field}: ${message}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('valid events parse and score the same as before parsing', () => {
    fc.assert(
      fc.property(profileArb, eventsArb(), (profile, events) => {
        expect(score(defaultScoringModel, profile, parseEvents(events), NOW)).toEqual(
          score(defaultScoringModel, profile, events, NOW),
        );
      }),
      { numRuns: 100 },
    );
  });
});
