import { describe, expect, it } from 'vitest';
import type { LeadProfileInput } from '../../domain/profile.ts';
import {
  applyDecision,
  defaultScoringModel,
  explain,
  parseEvents,
  parseProfile,
  parseScoringModel,
  ScoringInputError,
  ScoringModelError,
  type ScoringModelInput,
  score,
} from '../../domain/scoring/index.ts';
import { DAY, ev, model, NOW, unreachable } from './scoring-helpers.ts';

/** Fit total for a single fit rule worth 10 points. */
function fitOf(when: Record<string, unknown>, profile: LeadProfileInput): number {
  const fit = [{ id: 'r', when, points: 10 }] as NonNullable<ScoringModelInput['fit']>;
  return score(model({ fit, thresholds: unreachable }), profile, [], NOW).totals.fit;
}

describe('fit rules', () => {
  it('seniority', () => {
    const when = { kind: 'seniority', in: ['vp', 'c_level'] } as const;
    expect(fitOf(when, { seniority: 'vp' })).toBe(10);
    expect(fitOf(when, { seniority: 'manager' })).toBe(0);
    expect(fitOf(when, {})).toBe(0);
  });

  it('decision maker', () => {
    expect(fitOf({ kind: 'decision_maker' }, { decisionMaker: true })).toBe(10);
    expect(fitOf({ kind: 'decision_maker' }, { decisionMaker: false })).toBe(0);
    expect(fitOf({ kind: 'decision_maker', is: false }, { decisionMaker: false })).toBe(10);
    expect(fitOf({ kind: 'decision_maker' }, {})).toBe(0);
  });

  it('company size range, inclusive', () => {
    const when = { kind: 'company_size', min: 50, max: 500 } as const;
    expect(fitOf(when, { companySize: 49 })).toBe(0);
    expect(fitOf(when, { companySize: 50 })).toBe(10);
    expect(fitOf(when, { companySize: 500 })).toBe(10);
    expect(fitOf(when, { companySize: 501 })).toBe(0);
    expect(fitOf({ kind: 'company_size', min: 1000 }, { companySize: 20000 })).toBe(10);
    expect(fitOf(when, {})).toBe(0);
  });

  it('industry and country lists, case-insensitive', () => {
    expect(fitOf({ kind: 'industry', in: ['SaaS', 'Fintech'] }, { industry: 'saas' })).toBe(10);
    expect(fitOf({ kind: 'industry', in: ['SaaS'] }, { industry: 'retail' })).toBe(0);
    expect(fitOf({ kind: 'country', in: ['DE', 'fr'] }, { country: 'FR' })).toBe(10);
    expect(fitOf({ kind: 'country', in: ['DE'] }, { country: 'US' })).toBe(0);
  });

  it('business vs free-mail email domain', () => {
    const business = { kind: 'email_type', is: 'business' } as const;
    const free = { kind: 'email_type', is: 'free' } as const;
    expect(fitOf(business, { email: 'ann@acme.io' })).toBe(10);
    expect(fitOf(business, { email: 'ann@GMAIL.com' })).toBe(0);
    expect(fitOf(free, { email: 'ann@gmail.com' })).toBe(10);
    expect(fitOf(free, { email: 'ann@acme.io' })).toBe(0);
    // no email: neither
    expect(fitOf(business, {})).toBe(0);
    expect(fitOf(free, {})).toBe(0);
    // custom free-mail list
    expect(
      fitOf({ kind: 'email_type', is: 'free', freeMailDomains: ['acme.io'] }, { email: 'a@acme.io' }),
    ).toBe(10);
  });

  it('data completeness scales points by the fraction present', () => {
    const when = {
      kind: 'completeness',
      fields: ['firstName', 'lastName', 'company', 'fields.phone'],
    } as const;
    expect(fitOf(when, {})).toBe(0);
    expect(fitOf(when, { firstName: 'A', company: '' })).toBe(2.5);
    expect(fitOf(when, { firstName: 'A', lastName: 'B', company: 'C', fields: { phone: '+1' } })).toBe(10);
  });

  it('tag, custom field, email domain and address conditions', () => {
    expect(fitOf({ kind: 'tag', in: ['ABM'] }, { tags: ['abm', 'x'] })).toBe(10);
    expect(fitOf({ kind: 'tag', in: ['abm'] }, { tags: [] })).toBe(0);
    expect(
      fitOf({ kind: 'field', name: 'plan', value: { in: ['pro', 'ent'] } }, { fields: { plan: 'pro' } }),
    ).toBe(10);
    expect(fitOf({ kind: 'field', name: 'plan', value: { present: true } }, {})).toBe(0);
    expect(fitOf({ kind: 'email_domain', in: ['acme.io'] }, { email: 'x@eu.acme.io' })).toBe(10);
    expect(fitOf({ kind: 'email_domain', in: ['acme.io'] }, { email: 'x@notacme.io' })).toBe(0);
    expect(fitOf({ kind: 'email_address', in: ['Trap@X.io'] }, { email: 'trap@x.io' })).toBe(10);
  });

  it('negative fit points, total floored at 0', () => {
    const m = model({
      fit: [
        { id: 'free', when: { kind: 'email_type', is: 'free' }, points: -5 },
        { id: 'vp', when: { kind: 'seniority', in: ['vp'] }, points: 3 },
      ],
      thresholds: unreachable,
    });
    const r = score(m, { email: 'a@gmail.com', seniority: 'vp' }, [], NOW);
    expect(r.totals.fit).toBe(0);
    expect(r.hits.map((h) => [h.ruleId, h.rawPoints])).toEqual([
      ['free', -5],
      ['vp', 3],
    ]);
  });
});

describe('engagement rules', () => {
  it('match on type, channel and properties', () => {
    const m = model({
      engagement: [
        { id: 'web', match: { types: ['page_view'], channels: ['web'] }, points: 1 },
        {
          id: 'blog',
          match: { types: ['page_view'], properties: { path: { prefix: '/blog/' } } },
          points: 2,
        },
        { id: 'click', match: { types: ['email_click', 'email_reply'] }, points: 4 },
      ],
      thresholds: unreachable,
    });
    const events = [
      ev('page_view', 1, { channel: 'web', properties: { path: '/blog/a' } }),
      ev('page_view', 1, { channel: 'ads', properties: { path: '/' } }),
      ev('page_view', 1, { properties: { path: '/Blog/b' } }),
      ev('email_reply', 1),
      ev('email_open', 1),
    ];
    const r = score(m, {}, events, NOW);
    expect(r.totals.engagement).toBe(1 + 2 + 4);
    expect(r.hits.map((h) => `${h.ruleId}:${h.eventId}`)).toEqual([
      `web:${events[0]?.id}`,
      `blog:${events[0]?.id}`,
      `click:${events[3]?.id}`,
    ]);
  });

  it.each([
    [{ equals: '/pricing' }, '/pricing', true],
    [{ equals: '/pricing' }, '/PRICING', false],
    [{ equals: '/pricing', ignoreCase: true }, '/PRICING', true],
    [{ in: ['/a', '/b'] }, '/b', true],
    [{ prefix: '/pricing' }, '/pricing/enterprise', true],
    [{ contains: 'price' }, '/our-prices', true],
    [{ regex: '^/docs/v\\d+/' }, '/docs/v2/intro', true],
    [{ regex: '^/docs/v\\d+/' }, '/docs/latest', false],
    [{ present: true }, '', false],
    [{ present: false }, undefined, true],
  ])('property matcher %j on %j → %s', (matcher, value, expected) => {
    const m = model({
      engagement: [{ id: 'r', match: { types: ['page_view'], properties: { path: matcher } }, points: 1 }],
      thresholds: unreachable,
    });
    const properties: Record<string, string> = value === undefined ? {} : { path: value };
    expect(score(m, {}, [ev('page_view', 0, { properties })], NOW).totals.engagement).toBe(expected ? 1 : 0);
  });

  it('decays by half every half-life', () => {
    const m = model({
      engagement: [{ id: 'dl', match: { types: ['content_download'] }, points: 8, halfLifeDays: 10 }],
      thresholds: unreachable,
    });
    const at = (daysAgo: number) => score(m, {}, [ev('content_download', daysAgo)], NOW).totals.engagement;
    expect(at(0)).toBe(8);
    expect(at(10)).toBe(4);
    expect(at(20)).toBe(2);
    expect(at(5)).toBeCloseTo(8 / Math.SQRT2, 2);
    const r = score(m, {}, [ev('content_download', 10)], NOW);
    expect(r.hits[0]).toMatchObject({ ruleId: 'dl', rawPoints: 8, decayedPoints: 4 });
  });

  it('caps hits per rolling period so reloading a page cannot farm points', () => {
    const m = model({
      engagement: [
        { id: 'pv', match: { types: ['page_view'] }, points: 2, cap: { maxHits: 3, periodDays: 1 } },
      ],
      thresholds: unreachable,
    });
    // 50 reloads within a minute, then 2 visits a week later
    const reloads = Array.from({ length: 50 }, (_, i) =>
      ev('page_view', 8, { occurredAt: NOW - 8 * DAY + i * 1000 }),
    );
    const later = [ev('page_view', 1), ev('page_view', 1.5)];
    const r = score(m, {}, [...reloads, ...later], NOW);
    expect(r.totals.engagement).toBe(3 * 2 + 2 * 2);
    expect(r.capped.pv).toBe(47);
    // the most recent reloads are the ones that count
    const counted = r.hits.filter((h) => h.occurredAt !== undefined && h.occurredAt < NOW - 7 * DAY);
    expect(counted.map((h) => h.occurredAt)).toEqual(reloads.slice(-3).map((e) => e.occurredAt));
  });

  it('caps points per period, awarding part of the last hit', () => {
    const m = model({
      engagement: [
        { id: 'p', match: { types: ['product_signal'] }, points: 4, cap: { maxPoints: 10, periodDays: 7 } },
      ],
      thresholds: unreachable,
    });
    const r = score(
      m,
      {},
      [ev('product_signal', 1), ev('product_signal', 2), ev('product_signal', 3), ev('product_signal', 4)],
      NOW,
    );
    expect(r.totals.engagement).toBe(10);
    expect(r.hits.map((h) => h.rawPoints)).toEqual([2, 4, 4]);
    expect(r.capped.p).toBe(1);
    // a new window opens after the period
    const r2 = score(
      m,
      {},
      [ev('product_signal', 1), ev('product_signal', 2), ev('product_signal', 3), ev('product_signal', 9)],
      NOW,
    );
    expect(r2.totals.engagement).toBe(14);
  });

  it('lifetime cap when no period is given', () => {
    const m = model({
      engagement: [{ id: 'nl', match: { types: ['newsletter_signup'] }, points: 5, cap: { maxHits: 1 } }],
      thresholds: unreachable,
    });
    expect(
      score(m, {}, [ev('newsletter_signup', 300), ev('newsletter_signup', 1)], NOW).totals.engagement,
    ).toBe(5);
  });

  it('ignores unscored events, events after now, and duplicate ids', () => {
    const m = model({
      engagement: [{ id: 'c', match: { types: ['email_click'] }, points: 1 }],
      thresholds: unreachable,
    });
    const dup = ev('email_click', 1);
    const r = score(
      m,
      {},
      [dup, { ...dup }, ev('email_click', 1, { scored: false }), ev('email_click', -1), ev('email_click', 2)],
      NOW,
    );
    expect(r.totals.engagement).toBe(2);
    expect(r.eventsConsidered).toBe(2);
  });

  it('orders equal times by id, and sorts huge time spans too', () => {
    const m = model({
      engagement: [{ id: 'c', match: { types: ['email_click'] }, points: 1, cap: { maxHits: 1 } }],
      thresholds: unreachable,
    });
    const t = NOW - DAY;
    const tied = ['b', 'c', 'a'].map((id) => ({ id, type: 'email_click' as const, occurredAt: t }));
    // newest first, ties by id: "c" is the one hit the lifetime cap keeps
    expect(score(m, {}, tied, NOW).hits.map((h) => h.eventId)).toEqual(['c']);
    const far = [
      { id: 'x', type: 'email_click' as const, occurredAt: 2 ** 52 },
      { id: 'y', type: 'email_click' as const, occurredAt: 0 },
      { id: 'z', type: 'email_click' as const, occurredAt: 2 ** 51 },
    ];
    expect(score(m, {}, far, 2 ** 53).hits.map((h) => h.eventId)).toEqual(['x']);
  });

  it('does not depend on the order of the input', () => {
    const events = [ev('page_view', 3), ev('email_click', 9), ev('content_download', 1), ev('page_view', 3)];
    const a = score(defaultScoringModel, { seniority: 'vp' }, events, NOW);
    const b = score(defaultScoringModel, { seniority: 'vp' }, [...events].reverse(), NOW);
    expect(b).toEqual(a);
  });
});

describe('intent rules', () => {
  const m = model({
    intent: [
      { kind: 'event', id: 'demo', match: { types: ['demo_request'] }, points: 30 },
      {
        kind: 'event',
        id: 'pricing',
        match: { types: ['page_view'], properties: { path: { prefix: '/pricing' } } },
        points: 5,
        cap: { maxHits: 2, periodDays: 7 },
      },
      { kind: 'event', id: 'rfp', match: { types: ['rfp_submitted'] }, points: 30 },
      { kind: 'profile', id: 'soon', when: { kind: 'purchase_timeline', maxMonths: 3 }, points: 20 },
      {
        kind: 'profile',
        id: 'later',
        when: { kind: 'purchase_timeline', minMonths: 4, maxMonths: 6 },
        points: 10,
      },
      { kind: 'profile', id: 'top3', when: { kind: 'priority_rank', max: 3 }, points: 10 },
      { kind: 'profile', id: 'competing', when: { kind: 'competing_proposals' }, points: 10 },
    ],
    thresholds: unreachable,
  });
  const intent = (profile: LeadProfileInput, events = [] as ReturnType<typeof ev>[]) =>
    score(m, profile, events, NOW).totals.intent;

  it('event rules: demo request, pricing page visits (capped), RFP', () => {
    expect(intent({}, [ev('demo_request', 1)])).toBe(30);
    expect(intent({}, [ev('rfp_submitted', 1)])).toBe(30);
    const pricing = [1, 1.1, 1.2, 1.3].map((d) =>
      ev('page_view', d, { properties: { path: '/pricing/teams' } }),
    );
    expect(intent({}, [...pricing, ev('page_view', 1, { properties: { path: '/blog' } })])).toBe(10);
  });

  it('profile rules: timeline ≤3 / 4-6 months, top-3 priority, competing proposals', () => {
    expect(intent({ purchaseTimelineMonths: 0 })).toBe(20);
    expect(intent({ purchaseTimelineMonths: 3 })).toBe(20);
    expect(intent({ purchaseTimelineMonths: 4 })).toBe(10);
    expect(intent({ purchaseTimelineMonths: 6 })).toBe(10);
    expect(intent({ purchaseTimelineMonths: 7 })).toBe(0);
    expect(intent({ priorityRank: 3 })).toBe(10);
    expect(intent({ priorityRank: 4 })).toBe(0);
    expect(intent({ competingProposals: true })).toBe(10);
    expect(intent({ competingProposals: false })).toBe(0);
  });
});

describe('negative rules', () => {
  const m = model({
    engagement: [{ id: 'dl', match: { types: ['content_download'] }, points: 20 }],
    negative: [
      { kind: 'event', id: 'unsub', match: { types: ['unsubscribe'] }, points: -15, cap: { maxHits: 1 } },
      { kind: 'event', id: 'bounce', match: { types: ['bounce'] }, points: -10, dimension: 'fit' },
      { kind: 'event', id: 'complaint', match: { types: ['complaint'] }, points: -30, halfLifeDays: 10 },
      { kind: 'inactivity', id: 'quiet60', days: 60, points: -5 },
      { kind: 'inactivity', id: 'quiet120', days: 120, points: -5 },
    ],
    fit: [{ id: 'vp', when: { kind: 'seniority', in: ['vp'] }, points: 25 }],
    thresholds: unreachable,
  });

  it('unsubscribe takes engagement points (once), bounce takes fit points', () => {
    const r = score(
      m,
      { seniority: 'vp' },
      [ev('content_download', 1), ev('unsubscribe', 1), ev('unsubscribe', 0), ev('bounce', 1)],
      NOW,
    );
    expect(r.totals).toEqual({ fit: 15, engagement: 5, intent: 0 });
    expect(r.capped.unsub).toBe(1);
  });

  it('complaint decays like any event rule; totals never go below 0', () => {
    expect(score(m, {}, [ev('content_download', 0), ev('complaint', 10)], NOW).totals.engagement).toBe(5);
    expect(score(m, {}, [ev('content_download', 0), ev('complaint', 0)], NOW).totals.engagement).toBe(0);
  });

  it('long inactivity: N days since the last positive event', () => {
    const eng = (daysAgo: number, extra = [] as ReturnType<typeof ev>[]) =>
      score(m, {}, [ev('content_download', daysAgo), ...extra], NOW).totals.engagement;
    expect(eng(59)).toBe(20);
    expect(eng(60)).toBe(15);
    expect(eng(130)).toBe(10);
    // a negative event is not activity
    expect(eng(130, [ev('bounce', 1)])).toBe(10);
    // no history at all: nothing to be inactive from
    expect(score(m, {}, [], NOW).hits).toEqual([]);
  });
});

describe('disqualifiers', () => {
  const m = model({
    intent: [{ kind: 'event', id: 'demo', match: { types: ['demo_request'] }, points: 50 }],
    disqualifiers: [
      { id: 'student', when: { kind: 'seniority', in: ['student'] } },
      { id: 'jobseeker.tag', when: { kind: 'tag', in: ['job_seeker'] } },
      { id: 'jobseeker.field', when: { kind: 'field', name: 'jobSeeker', value: { equals: true } } },
      { id: 'competitor', when: { kind: 'email_domain', in: ['rival.com'] } },
      { id: 'staff', when: { kind: 'email_domain', in: ['us.com'] } },
      { id: 'trap.tag', when: { kind: 'tag', in: ['spam_trap'] } },
      { id: 'trap.addr', when: { kind: 'email_address', in: ['trap@bait.net'] } },
      {
        id: 'spam.form',
        when: {
          kind: 'event',
          match: { types: ['form_submitted'], properties: { honeypot: { present: true } } },
        },
      },
    ],
    handRaisers: [{ id: 'hr.demo', match: { types: ['demo_request'] } }],
    thresholds: { mql: { fit: 0, engagement: 0, intent: 10 } },
  });
  const demo = [ev('demo_request', 1)];

  it.each<[string, LeadProfileInput, string]>([
    ['student', { seniority: 'student' }, 'student'],
    ['job seeker tag', { tags: ['Job_Seeker'] }, 'jobseeker.tag'],
    ['job seeker field', { fields: { jobSeeker: true } }, 'jobseeker.field'],
    ['competitor', { email: 'spy@rival.com' }, 'competitor'],
    ['own staff', { email: 'me@sales.us.com' }, 'staff'],
    ['spam trap tag', { tags: ['spam_trap'] }, 'trap.tag'],
    ['spam trap address', { email: 'TRAP@bait.net' }, 'trap.addr'],
  ])('%s disqualifies, beating the hand-raiser and the thresholds', (_name, profile, id) => {
    const r = score(m, profile, demo, NOW);
    expect(r.totals.intent).toBe(50);
    expect(r.handRaises).toHaveLength(1);
    expect(r.decision.kind).toBe('disqualify');
    expect(r.decision.reason).toBe('disqualifier');
    expect(r.decision.causes).toEqual([id]);
    expect(r.decision.summary).toContain(id);
  });

  it('event disqualifier', () => {
    const r = score(m, {}, [...demo, ev('form_submitted', 2, { properties: { honeypot: 'x' } })], NOW);
    expect(r.decision).toMatchObject({ kind: 'disqualify', causes: ['spam.form'] });
    expect(score(m, {}, [...demo, ev('form_submitted', 2)], NOW).decision.kind).toBe('mql');
  });

  it('customers are never disqualified by scoring; disqualified leads stay put', () => {
    expect(score(m, { seniority: 'student' }, demo, NOW, { stage: 'customer' }).decision.kind).toBe('stay');
    expect(score(m, {}, demo, NOW, { stage: 'disqualified' }).decision.kind).toBe('stay');
    expect(score(m, { seniority: 'student' }, demo, NOW, { stage: 'opportunity' }).decision.kind).toBe(
      'disqualify',
    );
  });
});

describe('MQL decision', () => {
  const m = model({
    fit: [{ id: 'fit.vp', description: 'VP', when: { kind: 'seniority', in: ['vp'] }, points: 40 }],
    engagement: [
      {
        id: 'eng.dl',
        description: 'Download',
        match: { types: ['content_download'] },
        points: 15,
        halfLifeDays: 30,
      },
    ],
    intent: [
      {
        kind: 'event',
        id: 'int.pricing',
        description: 'Pricing page',
        match: { types: ['pricing_request'] },
        points: 25,
      },
      { kind: 'event', id: 'int.demo', description: 'Demo', match: { types: ['demo_request'] }, points: 30 },
    ],
    handRaisers: [
      { id: 'hr.demo', description: 'Demo request', match: { types: ['demo_request'] }, withinDays: 30 },
    ],
    thresholds: {
      mql: { fit: 40, engagement: 30, intent: 25 },
      recycle: { engagementBelow: 10, inactiveDays: 90 },
    },
  });
  const vp = { seniority: 'vp' } as const;
  const engaged = () => [ev('content_download', 0), ev('content_download', 0)];

  it('needs fit, engagement and intent each over its threshold', () => {
    const all = score(m, vp, [...engaged(), ev('pricing_request', 1)], NOW);
    expect(all.decision.kind).toBe('mql');
    expect(all.decision.reason).toBe('score_threshold');
    expect(all.decision.causes).toEqual(['fit.vp', 'eng.dl', 'int.pricing']);
    expect(all.decision.summary).toMatch(/^MQL: fit, engagement and intent all reached their thresholds/);
    expect(all.decision.summary).toContain('VP +40');

    // two of three is not enough, however high
    const noFit = score(m, {}, [...engaged(), ...engaged(), ev('pricing_request', 1)], NOW);
    expect(noFit.decision.kind).toBe('stay');
    expect(noFit.decision.summary).toContain('needs fit +40');
    expect(score(m, vp, [ev('pricing_request', 1)], NOW).decision.kind).toBe('stay');
    expect(score(m, vp, engaged(), NOW).decision.kind).toBe('stay');
  });

  it('hand-raiser fast lane: a recent demo request is MQL whatever the scores', () => {
    const r = score(m, {}, [ev('demo_request', 2)], NOW);
    expect(r.decision).toMatchObject({ kind: 'mql', reason: 'hand_raiser', causes: ['hr.demo'] });
    expect(r.decision.summary).toContain('Demo request');
    // too old for the fast lane
    expect(score(m, {}, [ev('demo_request', 31)], NOW).decision.kind).toBe('stay');
  });

  it('from nurture, qualifying again is re-engagement; from sales stages scoring only reports', () => {
    const events = [...engaged(), ev('pricing_request', 1)];
    expect(score(m, vp, events, NOW, { stage: 'nurture' }).decision.reason).toBe('re_engaged');
    expect(score(m, vp, events, NOW, { stage: 'subscriber' }).decision.kind).toBe('mql');
    for (const stage of ['sql', 'opportunity', 'customer'] as const) {
      expect(score(m, vp, events, NOW, { stage }).decision.kind).toBe('stay');
    }
    expect(score(m, vp, events, NOW, { stage: 'mql' }).decision.kind).toBe('stay');
  });

  it('recycles a cold MQL to nurture (engagement floor or inactivity), not a fresh hand-raiser', () => {
    const cold = score(m, vp, [ev('content_download', 100)], NOW, { stage: 'mql' });
    expect(cold.decision.kind).toBe('recycle');
    expect(cold.decision.reason).toBe('no_engagement');
    expect(cold.decision.causes).toEqual([
      'thresholds.recycle.engagementBelow',
      'thresholds.recycle.inactiveDays',
    ]);
    const quiet = score(
      m,
      vp,
      Array.from({ length: 10 }, () => ev('content_download', 95)),
      NOW,
      { stage: 'mql' },
    );
    expect(quiet.totals.engagement).toBeGreaterThan(10);
    expect(quiet.decision.causes).toEqual(['thresholds.recycle.inactiveDays']);
    expect(score(m, vp, [ev('demo_request', 2)], NOW, { stage: 'mql' }).decision.kind).toBe('stay');
    // recycle only applies to MQLs
    expect(score(m, vp, [ev('content_download', 100)], NOW, { stage: 'lead' }).decision.kind).toBe('stay');
  });

  it('applyDecision turns decisions into checked stage transitions', () => {
    const mql = score(m, {}, [ev('demo_request', 2)], NOW);
    expect(applyDecision(mql)).toEqual({
      from: 'lead',
      to: 'mql',
      reason: 'hand_raiser',
      actor: { kind: 'scoring_rule', id: 'test@1' },
      snapshot: mql.totals,
      ruleIds: ['hr.demo'],
      at: NOW,
    });
    const recycle = score(m, vp, [ev('content_download', 100)], NOW, { stage: 'mql' });
    expect(applyDecision(recycle, { at: 5 })).toMatchObject({
      from: 'mql',
      to: 'nurture',
      reason: 'no_engagement',
      at: 5,
    });
    expect(applyDecision(score(m, {}, [], NOW))).toBeUndefined();
  });

  it('explain() gives readable lines', () => {
    const r = score(m, vp, [...engaged(), ev('pricing_request', 1), ev('demo_request', 3)], NOW);
    const lines = explain(r);
    expect(lines[0]).toBe(r.decision.summary);
    expect(lines[1]).toBe('Fit 40/40: VP +40');
    expect(lines[2]).toBe('Engagement 30/30: Download ×2 +30');
    expect(lines[3]).toBe('Intent 55/25: Demo +30, Pricing page +25');
    expect(lines).toContain('Hand-raiser: Demo request on 2025-01-28');
    expect(lines.at(-1)).toMatch(/^Last activity 2025-01-31 \(0 day\(s\) before scoring\)$/);
  });
});

describe('default model', () => {
  it('is valid and documented', () => {
    expect(parseScoringModel(defaultScoringModel)).toEqual(defaultScoringModel);
    for (const section of [
      'fit',
      'engagement',
      'intent',
      'negative',
      'disqualifiers',
      'handRaisers',
    ] as const) {
      expect(defaultScoringModel[section].length).toBeGreaterThan(0);
      for (const rule of defaultScoringModel[section]) expect(rule.description).toBeTruthy();
    }
  });

  it('qualifies the persona that knows us and is buying; not the one that only reads', () => {
    const persona: LeadProfileInput = {
      email: 'ann@acme.io',
      firstName: 'Ann',
      lastName: 'Lee',
      company: 'Acme',
      title: 'VP Ops',
      seniority: 'vp',
      companySize: 300,
      industry: 'SaaS',
      country: 'DE',
    };
    const reads = [
      ev('content_download', 2),
      ev('content_download', 9),
      ev('webinar_attended', 12),
      ev('page_view', 1),
    ];
    expect(score(defaultScoringModel, persona, reads, NOW).decision.kind).toBe('stay');
    const buying = score(
      defaultScoringModel,
      { ...persona, purchaseTimelineMonths: 2, priorityRank: 1 },
      reads,
      NOW,
    );
    expect(buying.decision.kind).toBe('mql');
    const student = score(
      defaultScoringModel,
      { ...persona, seniority: 'student' },
      [...reads, ev('demo_request', 1)],
      NOW,
    );
    expect(student.decision.kind).toBe('disqualify');
  });
});

describe('validation', () => {
  it('parseScoringModel names the path of each bad field', () => {
    const bad = {
      id: 'm',
      version: 1,
      engagement: [
        { id: 'a', match: { types: ['page_view'] }, points: 1 },
        { id: 'b', match: { types: ['email_open'] }, points: 1 },
        { id: 'c', match: { types: ['email_click'] }, points: 1, halfLifeDays: 0 },
      ],
      thresholds: { mql: { fit: 1, engagement: 1, intent: 1 } },
    };
    expect(() => parseScoringModel(bad)).toThrowError('engagement[2].halfLifeDays: must be > 0');
    expect(() => parseScoringModel(bad)).toThrowError(ScoringModelError);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['missing thresholds', { thresholds: undefined }, 'thresholds: is required'],
    [
      'negative threshold',
      { thresholds: { mql: { fit: -1, engagement: 0, intent: 0 } } },
      'thresholds.mql.fit: must be >= 0',
    ],
    ['unknown key', { extra: 1 }, 'extra: unknown key'],
    ['non-integer version', { version: 1.5 }, 'version: expected integer'],
    [
      'unknown event type',
      { engagement: [{ id: 'a', match: { types: ['visit'] }, points: 1 }] },
      'engagement[0].match.types[0]: must be one of',
    ],
    [
      'empty type list',
      { engagement: [{ id: 'a', match: { types: [] }, points: 1 }] },
      'engagement[0].match.types: must have at least 1 item(s)',
    ],
    [
      'zero engagement points',
      { engagement: [{ id: 'a', match: { types: ['page_view'] }, points: 0 }] },
      'engagement[0].points: must be > 0',
    ],
    [
      'bad cap',
      { engagement: [{ id: 'a', match: { types: ['page_view'] }, points: 1, cap: { periodDays: 1 } }] },
      'engagement[0].cap: must set maxHits or maxPoints',
    ],
    [
      'two operators',
      {
        engagement: [
          {
            id: 'a',
            match: { types: ['page_view'], properties: { path: { equals: '/', prefix: '/' } } },
            points: 1,
          },
        ],
      },
      'engagement[0].match.properties.path: must set exactly one of',
    ],
    [
      'bad regex',
      {
        engagement: [
          { id: 'a', match: { types: ['page_view'], properties: { path: { regex: '([' } } }, points: 1 },
        ],
      },
      'engagement[0].match.properties.path.regex: invalid regular expression',
    ],
    [
      'positive negative rule',
      { negative: [{ kind: 'event', id: 'n', match: { types: ['bounce'] }, points: 5 }] },
      'negative[0].points: must be < 0',
    ],
    [
      'unknown negative kind',
      { negative: [{ kind: 'silence', id: 'n' }] },
      'negative[0].kind: must be one of "event", "inactivity"',
    ],
    [
      'unknown fit condition',
      { fit: [{ id: 'f', when: { kind: 'height' }, points: 1 }] },
      'fit[0].when.kind: must be one of',
    ],
    [
      'zero fit points',
      { fit: [{ id: 'f', when: { kind: 'decision_maker' }, points: 0 }] },
      'fit[0].points: must not be 0',
    ],
    [
      'bad completeness field',
      { fit: [{ id: 'f', when: { kind: 'completeness', fields: ['shoeSize'] }, points: 1 }] },
      'fit[0].when.fields[0]: must be a profile key or fields.<name>',
    ],
    [
      'inverted size range',
      { fit: [{ id: 'f', when: { kind: 'company_size', min: 10, max: 5 }, points: 1 }] },
      'fit[0].when.max: must be >= min',
    ],
    [
      'duplicate id',
      {
        fit: [{ id: 'x', when: { kind: 'decision_maker' }, points: 1 }],
        handRaisers: [{ id: 'x', match: { types: ['demo_request'] } }],
      },
      'handRaisers[0].id: duplicate rule id "x" (also fit[0])',
    ],
    [
      'bad rule id',
      { fit: [{ id: 'has space', when: { kind: 'decision_maker' }, points: 1 }] },
      'fit[0].id: must start with a letter or digit',
    ],
  ])('rejects %s', (_name, patch, message) => {
    const input = {
      id: 'm',
      version: 1,
      thresholds: { mql: { fit: 1, engagement: 1, intent: 1 } },
      ...patch,
    };
    expect(() => parseScoringModel(input)).toThrowError(message);
  });

  it('parseEvents / parseProfile name the bad field', () => {
    expect(() =>
      parseEvents([
        { id: 'a', type: 'page_view', occurredAt: 1 },
        { id: 'b', type: 'page_view', occurredAt: -1 },
      ]),
    ).toThrowError('events[1].occurredAt: must be >= 0');
    expect(() => parseEvents([{ id: 'a', type: 'visit', occurredAt: 1 }])).toThrowError(
      'events[0].type: must be one of',
    );
    expect(() => parseEvents({})).toThrowError(ScoringInputError);
    expect(() => parseProfile({ country: 'DEU' })).toThrowError(
      'profile.country: must be at most 2 character(s)',
    );
    expect(() => parseProfile({ seniority: 'intern' })).toThrowError('profile.seniority: must be one of');
    expect(parseEvents([{ id: 'a', type: 'page_view', occurredAt: 1 }])).toEqual([
      { id: 'a', type: 'page_view', occurredAt: 1, properties: {}, scored: true },
    ]);
  });
});
