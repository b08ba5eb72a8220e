// Scoring throughput for one lead with 10,000 events (a year of heavy activity), next to two baselines
// measured in the same run:
// - naive re-sum: points per matching rule, no decay, no caps, no decision (the floor: one pass of lookups);
// - naive O(n²) caps: same semantics as score() (decay + rolling caps, newest hits first) but every cap
//   check rescans the rule's accepted hits, which is what the rolling-window queue avoids.
import { Bench } from 'tinybench';
import type { EngagementEventInput, EventType } from '../domain/events.ts';
import type { LeadProfileInput } from '../domain/profile.ts';
import { defaultScoringModel, type ScoringModel, score } from '../domain/scoring/index.ts';

const DAY = 86_400_000;
const N = 10_000;
const NOW = Date.UTC(2025, 0, 31);

/** Small seeded PRNG so every run scores the same lead. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIX: Array<[EventType, number]> = [
  ['page_view', 50],
  ['email_open', 20],
  ['email_click', 10],
  ['content_download', 5],
  ['social_engagement', 5],
  ['product_signal', 4],
  ['form_submitted', 2],
  ['webinar_registered', 1],
  ['webinar_attended', 1],
  ['pricing_request', 1],
  ['unsubscribe', 0.5],
  ['bounce', 0.5],
];
const PATHS = ['/', '/blog/abm', '/blog/scoring', '/pricing', '/pricing/teams', '/docs/start'];

function makeEvents(n: number): EngagementEventInput[] {
  const rnd = mulberry32(42);
  const total = MIX.reduce((s, [, w]) => s + w, 0);
  const events: EngagementEventInput[] = [];
  for (let i = 0; i < n; i++) {
    let x = rnd() * total;
    let type: EventType = 'page_view';
    for (const [t, w] of MIX) {
      x -= w;
      if (x <= 0) {
        type = t;
        break;
      }
    }
    events.push({
      id: `e${i}`,
      type,
      channel: type.startsWith('email') ? 'email' : 'web',
      occurredAt: NOW - Math.floor(rnd() * 365 * DAY),
      properties: { path: PATHS[Math.floor(rnd() * PATHS.length)] as string },
      scored: rnd() > 0.02,
    });
  }
  return events;
}

const profile: LeadProfileInput = {
  email: 'ann@acme.io',
  firstName: 'Ann',
  lastName: 'Lee',
  company: 'Acme',
  seniority: 'vp',
  companySize: 300,
  industry: 'SaaS',
  country: 'DE',
  purchaseTimelineMonths: 5,
};

type EventRuleLike = {
  id: string;
  match: {
    types: readonly string[];
    properties?: Record<string, { prefix?: string | undefined }> | undefined;
  };
  points: number;
  halfLifeDays?: number | undefined;
  cap?:
    | { maxHits?: number | undefined; maxPoints?: number | undefined; periodDays?: number | undefined }
    | undefined;
};

function eventRules(model: ScoringModel): EventRuleLike[] {
  return [
    ...model.engagement,
    ...model.intent.filter((r) => r.kind === 'event'),
    ...model.negative.filter((r) => r.kind === 'event'),
  ];
}

function matches(r: EventRuleLike, e: EngagementEventInput): boolean {
  if (!r.match.types.includes(e.type)) return false;
  for (const [k, m] of Object.entries(r.match.properties ?? {})) {
    const v = e.properties?.[k];
    if (m.prefix !== undefined && !(typeof v === 'string' && v.startsWith(m.prefix))) return false;
  }
  return true;
}

/** Baseline 1: add up rule points, no decay, no caps (linear scan over the rules for each event). */
function naiveResum(model: ScoringModel, events: readonly EngagementEventInput[], now: number): number {
  const rules = eventRules(model);
  let sum = 0;
  for (const e of events) {
    if (e.scored === false || e.occurredAt > now) continue;
    for (const r of rules) if (matches(r, e)) sum += r.points;
  }
  return sum;
}

/** Baseline 2: decay + caps with score()'s semantics, but every cap check rescans the accepted hits. */
function naiveQuadraticCaps(
  model: ScoringModel,
  events: readonly EngagementEventInput[],
  now: number,
): { sum: number; hits: number } {
  const rules = eventRules(model);
  const sorted = events
    .filter((e) => e.scored !== false && e.occurredAt <= now)
    .sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  const accepted = rules.map(() => [] as Array<{ t: number; amount: number }>);
  let sum = 0;
  let hitCount = 0;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const e = sorted[i] as EngagementEventInput;
    rules.forEach((r, k) => {
      if (!matches(r, e)) return;
      let amount = Math.abs(r.points);
      if (r.cap) {
        const limit =
          r.cap.periodDays === undefined ? Number.POSITIVE_INFINITY : e.occurredAt + r.cap.periodDays * DAY;
        let hits = 0;
        let pts = 0;
        for (const h of accepted[k] as Array<{ t: number; amount: number }>) {
          if (h.t < limit) {
            hits++;
            pts += h.amount;
          }
        }
        if (r.cap.maxHits !== undefined && hits >= r.cap.maxHits) return;
        if (r.cap.maxPoints !== undefined) amount = Math.min(amount, r.cap.maxPoints - pts);
        if (amount <= 1e-9) return;
        accepted[k]?.push({ t: e.occurredAt, amount });
      }
      const raw = r.points > 0 ? amount : -amount;
      hitCount++;
      sum +=
        r.halfLifeDays === undefined ? raw : raw * 0.5 ** ((now - e.occurredAt) / (r.halfLifeDays * DAY));
    });
  }
  return { sum, hits: hitCount };
}

export default async function run(): Promise<void> {
  const sorted = makeEvents(N).sort((a, b) => a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : 1));
  const shuffled = makeEvents(N);
  const model = defaultScoringModel;

  // Cross-check: the quadratic baseline computes the same event points as score().
  const result = score(model, profile, shuffled, NOW);
  const eventHits = result.hits.filter((h) => h.eventId !== undefined);
  const eventPoints = eventHits.reduce((s, h) => s + h.decayedPoints, 0);
  const quadratic = naiveQuadraticCaps(model, shuffled, NOW);
  // score() rounds each hit to 2 decimals, so the sums agree to within half a cent per hit.
  const agree =
    quadratic.hits === eventHits.length && Math.abs(quadratic.sum - eventPoints) <= 0.005 * eventHits.length;
  console.log(
    `lead with ${N} events: ${result.eventsConsidered} scored, ${eventHits.length} event hits, ` +
      `${Object.values(result.capped).reduce((s, n) => s + n, 0)} capped; totals ${JSON.stringify(result.totals)}`,
  );
  console.log(
    `cross-check vs O(n²) baseline: ${quadratic.hits} hits, ${quadratic.sum.toFixed(2)} points vs ` +
      `${eventPoints.toFixed(2)} → ${agree ? 'agree' : 'DIFFER'}`,
  );

  let sink = 0;
  const bench = new Bench({ time: 1000, warmupTime: 200 });
  bench
    .add('score() 10k events, sorted input', () => {
      sink += score(model, profile, sorted, NOW).totals.engagement;
    })
    .add('score() 10k events, shuffled input', () => {
      sink += score(model, profile, shuffled, NOW).totals.engagement;
    })
    .add('baseline: naive re-sum (no decay/caps)', () => {
      sink += naiveResum(model, shuffled, NOW);
    })
    .add('baseline: decay + O(n²) cap check', () => {
      sink += naiveQuadraticCaps(model, shuffled, NOW).sum;
    });
  await bench.run();

  const rows = bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed') return { task: task.name, 'ops/s': r.state, 'mean ms': '', samples: '' };
    return {
      task: task.name,
      'ops/s': Math.round(r.throughput.mean).toLocaleString('en-US'),
      'mean ms': r.latency.mean.toFixed(3),
      'events/s': Math.round((N * 1000) / r.latency.mean).toLocaleString('en-US'),
      samples: r.latency.samplesCount,
    };
  });
  console.table(rows);
  if (Number.isNaN(sink)) console.log('unreachable');
}
