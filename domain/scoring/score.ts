// Scores one lead: fit from the profile, engagement and intent from events (with decay and anti-farming
// caps), negative points, hard disqualifiers, hand-raisers, and the resulting stage decision with a
// human-readable "why". Pure and deterministic: the clock is the `now` argument.
//
// Cost: one sort of the events (skipped when already in time order) and one pass over them, newest first;
// rules are indexed by event type and caps use a rolling window queue, so O(n log n + n·r) where r is the
// number of rules for one event type.
import type { EngagementEventInput } from '../events.ts';
import {
  type ReasonCode,
  type ScoreSnapshot,
  type Stage,
  type StageTransition,
  transition,
} from '../lifecycle/stages.ts';
import type { LeadProfileInput } from '../profile.ts';
import {
  DEFAULT_FREE_MAIL_DOMAINS,
  DIMENSIONS,
  type Dimension,
  type Disqualifier,
  type EventMatch,
  type FitCondition,
  type ScoringModel,
  type ValueMatcher,
} from './model.ts';

const DAY_MS = 86_400_000;
const EPSILON = 1e-9;

export interface RuleHit {
  ruleId: string;
  dimension: Dimension;
  /** Set for event rules. */
  eventId?: string;
  occurredAt?: number;
  /** Points awarded before decay (a cap may award part of a rule's points). Negative for negative rules. */
  rawPoints: number;
  /** Points after decay at `now` (equal to rawPoints without decay). Rounded to 2 decimals. */
  decayedPoints: number;
}

export type DecisionKind = 'stay' | 'mql' | 'disqualify' | 'recycle';

export interface Decision {
  kind: DecisionKind;
  /** Reason code for the stage transition this decision implies (absent for `stay`). */
  reason?: ReasonCode;
  /** Rule ids behind the decision, most important first. */
  causes: string[];
  /** One sentence a salesperson can read: the "why MQL". */
  summary: string;
}

export interface HandRaise {
  ruleId: string;
  eventId: string;
  occurredAt: number;
}

export interface ScoreResult {
  modelId: string;
  modelVersion: number;
  /** The `now` the lead was scored at (epoch ms). */
  at: number;
  /** The stage the decision was taken for. */
  stage: Stage;
  /** Per-dimension totals, floored at 0 and rounded to 2 decimals. */
  totals: ScoreSnapshot;
  thresholds: ScoringModel['thresholds'];
  /** Profile hits first, then event hits in time order, then inactivity penalties. */
  hits: RuleHit[];
  /** Per rule id: matching events that a cap kept from scoring. */
  capped: Record<string, number>;
  disqualifiedBy: string[];
  handRaises: HandRaise[];
  /** Latest event that matched a positive event rule. */
  lastActivityAt?: number;
  /** Events that took part (scored, not after `now`, duplicates removed). */
  eventsConsidered: number;
  /** Rule id → description (or id) for every rule mentioned in this result. */
  labels: Record<string, string>;
  decision: Decision;
}

export interface ScoreOptions {
  /** Current stage of the lead; decides which moves are possible. Default `lead`. */
  stage?: Stage;
}

// ---------------------------------------------------------------------------------------------------
// Compilation (once per model object, cached)

type Pred = (value: unknown) => boolean;

function compileValue(m: ValueMatcher): Pred {
  const ic = m.ignoreCase === true;
  const norm = (v: unknown): unknown => (ic && typeof v === 'string' ? v.toLowerCase() : v);
  const str = (s: string): string => (ic ? s.toLowerCase() : s);
  if (m.present !== undefined) {
    const want = m.present;
    return (v) => (v !== undefined && v !== null && v !== '') === want;
  }
  if (m.equals !== undefined) {
    const target = norm(m.equals);
    return (v) => v !== undefined && norm(v) === target;
  }
  if (m.in !== undefined) {
    const set = new Set(m.in.map(norm));
    return (v) => v !== undefined && set.has(norm(v));
  }
  if (m.prefix !== undefined) {
    const p = str(m.prefix);
    return (v) => typeof v === 'string' && str(v).startsWith(p);
  }
  if (m.contains !== undefined) {
    const p = str(m.contains);
    return (v) => typeof v === 'string' && str(v).includes(p);
  }
  if (m.regex !== undefined) {
    const re = new RegExp(m.regex, ic ? 'i' : '');
    return (v) => typeof v === 'string' && re.test(v);
  }
  return () => false;
}

interface CompiledMatch {
  types: readonly string[];
  channels: ReadonlySet<string> | undefined;
  props: ReadonlyArray<readonly [string, Pred]>;
}

function compileMatch(m: EventMatch): CompiledMatch {
  return {
    types: m.types,
    channels: m.channels ? new Set(m.channels) : undefined,
    props: Object.entries(m.properties ?? {}).map(([k, v]) => [k, compileValue(v)] as const),
  };
}

function matchesEvent(m: CompiledMatch, e: EngagementEventInput): boolean {
  if (m.channels !== undefined && (e.channel === undefined || !m.channels.has(e.channel))) return false;
  if (m.props.length > 0) {
    const props = e.properties ?? {};
    for (const [key, pred] of m.props) {
      if (!pred(Object.hasOwn(props, key) ? props[key] : undefined)) return false;
    }
  }
  return true;
}

interface CompiledEventRule {
  id: string;
  slot: number;
  dimension: Dimension;
  points: number;
  halfLifeMs: number | undefined;
  maxHits: number | undefined;
  maxPoints: number | undefined;
  periodMs: number | undefined;
  capped: boolean;
  match: CompiledMatch;
}

interface ProfileView {
  profile: LeadProfileInput;
  email: string | undefined;
  domain: string | undefined;
  tags: ReadonlySet<string>;
}

type ProfileTest = (p: ProfileView) => number;

interface CompiledProfileRule {
  id: string;
  dimension: Dimension;
  points: number;
  test: ProfileTest;
}

interface CompiledWindowRule {
  id: string;
  withinMs: number | undefined;
  match: CompiledMatch;
}

/** Everything that looks at one event type: one map lookup per event. */
interface TypeBucket {
  rules: CompiledEventRule[];
  handRaisers: CompiledWindowRule[];
  disqualifiers: CompiledWindowRule[];
}

interface CompiledModel {
  model: ScoringModel;
  profileRules: CompiledProfileRule[];
  eventRules: CompiledEventRule[];
  byType: Map<string, TypeBucket>;
  inactivity: Array<{ id: string; dimension: Dimension; points: number; afterMs: number }>;
  profileDisqualifiers: Array<{ id: string; test: ProfileTest }>;
  labels: Map<string, string>;
}

const lower = (s: string): string => s.trim().toLowerCase();

function domainIn(domain: string | undefined, list: ReadonlySet<string>): boolean {
  if (domain === undefined) return false;
  if (list.has(domain)) return true;
  for (let i = domain.indexOf('.'); i !== -1; i = domain.indexOf('.', i + 1)) {
    if (list.has(domain.slice(i + 1))) return true;
  }
  return false;
}

function isPresent(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function compileCondition(c: FitCondition): ProfileTest {
  const yes = (b: boolean): number => (b ? 1 : 0);
  switch (c.kind) {
    case 'seniority': {
      const set = new Set<string>(c.in);
      return ({ profile }) => yes(profile.seniority !== undefined && set.has(profile.seniority));
    }
    case 'decision_maker':
      return ({ profile }) => yes(profile.decisionMaker !== undefined && profile.decisionMaker === c.is);
    case 'company_size':
      return ({ profile }) => {
        const n = profile.companySize;
        return yes(
          n !== undefined && (c.min === undefined || n >= c.min) && (c.max === undefined || n <= c.max),
        );
      };
    case 'industry': {
      const set = new Set(c.in.map(lower));
      return ({ profile }) => yes(profile.industry !== undefined && set.has(lower(profile.industry)));
    }
    case 'country': {
      const set = new Set(c.in.map(lower));
      return ({ profile }) => yes(profile.country !== undefined && set.has(lower(profile.country)));
    }
    case 'email_type': {
      const free = new Set((c.freeMailDomains ?? DEFAULT_FREE_MAIL_DOMAINS).map(lower));
      return ({ domain }) => (domain === undefined ? 0 : yes(domainIn(domain, free) === (c.is === 'free')));
    }
    case 'email_domain': {
      const set = new Set(c.in.map((d) => lower(d).replace(/^@/, '')));
      return ({ domain }) => yes(domainIn(domain, set));
    }
    case 'email_address': {
      const set = new Set(c.in.map(lower));
      return ({ email }) => yes(email !== undefined && set.has(email));
    }
    case 'tag': {
      const wanted = c.in.map(lower);
      return ({ tags }) => yes(wanted.some((t) => tags.has(t)));
    }
    case 'field': {
      const pred = compileValue(c.value);
      return ({ profile }) => {
        const fields = profile.fields ?? {};
        return yes(pred(Object.hasOwn(fields, c.name) ? fields[c.name] : undefined));
      };
    }
    case 'purchase_timeline':
      return ({ profile }) => {
        const m = profile.purchaseTimelineMonths;
        return yes(m !== undefined && m <= c.maxMonths && (c.minMonths === undefined || m >= c.minMonths));
      };
    case 'priority_rank':
      return ({ profile }) => yes(profile.priorityRank !== undefined && profile.priorityRank <= c.max);
    case 'competing_proposals':
      return ({ profile }) =>
        yes(profile.competingProposals !== undefined && profile.competingProposals === c.is);
    case 'completeness': {
      const getters = c.fields.map((f): ((p: LeadProfileInput) => unknown) => {
        if (f.startsWith('fields.')) {
          const name = f.slice('fields.'.length);
          return (p) => (p.fields && Object.hasOwn(p.fields, name) ? p.fields[name] : undefined);
        }
        return (p) => (p as Record<string, unknown>)[f];
      });
      return ({ profile }) => getters.filter((g) => isPresent(g(profile))).length / getters.length;
    }
  }
}

function pushIndexed<K extends keyof TypeBucket>(
  map: Map<string, TypeBucket>,
  types: readonly string[],
  key: K,
  item: TypeBucket[K][number],
): void {
  for (const t of types) {
    let bucket = map.get(t);
    if (bucket === undefined) {
      bucket = { rules: [], handRaisers: [], disqualifiers: [] };
      map.set(t, bucket);
    }
    (bucket[key] as Array<typeof item>).push(item);
  }
}

const compiledCache = new WeakMap<ScoringModel, CompiledModel>();

/** Compiles matchers and indexes rules by event type; cached per model object. @internal */
export function compileModel(model: ScoringModel): CompiledModel {
  const cached = compiledCache.get(model);
  if (cached) return cached;
  const labels = new Map<string, string>();
  const label = (r: { id: string; description?: string | undefined }): void => {
    labels.set(r.id, r.description ?? r.id);
  };
  const eventRules: CompiledEventRule[] = [];
  const byType = new Map<string, TypeBucket>();
  const addEventRule = (
    r: {
      id: string;
      match: EventMatch;
      points: number;
      halfLifeDays?: number | undefined;
      cap?: { maxHits?: number | undefined; maxPoints?: number | undefined; periodDays?: number | undefined };
    },
    dimension: Dimension,
  ): void => {
    const compiled: CompiledEventRule = {
      id: r.id,
      slot: eventRules.length,
      dimension,
      points: r.points,
      halfLifeMs: r.halfLifeDays === undefined ? undefined : r.halfLifeDays * DAY_MS,
      maxHits: r.cap?.maxHits,
      maxPoints: r.cap?.maxPoints,
      periodMs: r.cap?.periodDays === undefined ? undefined : r.cap.periodDays * DAY_MS,
      capped: r.cap !== undefined,
      match: compileMatch(r.match),
    };
    eventRules.push(compiled);
    pushIndexed(byType, r.match.types, 'rules', compiled);
  };
  const profileRules: CompiledProfileRule[] = [];
  const inactivity: CompiledModel['inactivity'] = [];

  for (const r of model.fit) {
    label(r);
    profileRules.push({ id: r.id, dimension: 'fit', points: r.points, test: compileCondition(r.when) });
  }
  for (const r of model.engagement) {
    label(r);
    addEventRule(r, 'engagement');
  }
  for (const r of model.intent) {
    label(r);
    if (r.kind === 'event') addEventRule(r, 'intent');
    else
      profileRules.push({ id: r.id, dimension: 'intent', points: r.points, test: compileCondition(r.when) });
  }
  for (const r of model.negative) {
    label(r);
    if (r.kind === 'event') addEventRule(r, r.dimension);
    else inactivity.push({ id: r.id, dimension: r.dimension, points: r.points, afterMs: r.days * DAY_MS });
  }
  const profileDisqualifiers: CompiledModel['profileDisqualifiers'] = [];
  for (const d of model.disqualifiers as Disqualifier[]) {
    label(d);
    if (d.when.kind === 'event') {
      pushIndexed(byType, d.when.match.types, 'disqualifiers', {
        id: d.id,
        withinMs: undefined,
        match: compileMatch(d.when.match),
      });
    } else profileDisqualifiers.push({ id: d.id, test: compileCondition(d.when) });
  }
  for (const h of model.handRaisers) {
    label(h);
    pushIndexed(byType, h.match.types, 'handRaisers', {
      id: h.id,
      withinMs: h.withinDays === undefined ? undefined : h.withinDays * DAY_MS,
      match: compileMatch(h.match),
    });
  }
  const compiled: CompiledModel = {
    model,
    profileRules,
    eventRules,
    byType,
    inactivity,
    profileDisqualifiers,
    labels,
  };
  compiledCache.set(model, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------------------------
// Events

const byTimeThenId = (a: EngagementEventInput, b: EngagementEventInput): number =>
  a.occurredAt - b.occurredAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Sorts by (occurredAt, id) in place. When the time span allows it, each event becomes one exact
 * float key `(t - min) * n + index`, sorted natively (no JS comparator calls, ~3× faster for 10k
 * events); runs of equal times are then ordered by id. Otherwise a plain comparator sort.
 */
function sortEvents(events: EngagementEventInput[]): void {
  const n = events.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    if (e.occurredAt < min) min = e.occurredAt;
    if (e.occurredAt > max) max = e.occurredAt;
  }
  if (
    !Number.isSafeInteger(min) ||
    !Number.isSafeInteger(max) ||
    (max - min + 1) * n > Number.MAX_SAFE_INTEGER
  ) {
    events.sort(byTimeThenId);
    return;
  }
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = ((events[i] as EngagementEventInput).occurredAt - min) * n + i;
  keys.sort();
  const copy = events.slice();
  for (let i = 0; i < n; i++) events[i] = copy[(keys[i] as number) % n] as EngagementEventInput;
  // Equal times: order by id (stable, so identical ids keep their input order).
  for (let i = 0; i < n; ) {
    let j = i + 1;
    const t = (events[i] as EngagementEventInput).occurredAt;
    while (j < n && (events[j] as EngagementEventInput).occurredAt === t) j++;
    if (j - i > 1) {
      const run = events.slice(i, j).sort(byTimeThenId);
      for (let k = 0; k < run.length; k++) events[i + k] = run[k] as EngagementEventInput;
    }
    i = j;
  }
}

/**
 * Scored events in time order (ties by id), duplicates (same id and time) removed. Sorts only when needed.
 * `until` drops events after that instant. @internal
 */
export function prepareEvents(
  events: readonly EngagementEventInput[],
  until = Number.POSITIVE_INFINITY,
): EngagementEventInput[] {
  const out: EngagementEventInput[] = [];
  let sorted = true;
  for (const e of events) {
    if (e.scored === false || e.occurredAt > until) continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && sorted && byTimeThenId(prev, e) > 0) sorted = false;
    out.push(e);
  }
  if (!sorted) sortEvents(out);
  // A replayed delivery of the same event has the same id and time: after the sort they are neighbours.
  let w = 0;
  for (let i = 0; i < out.length; i++) {
    const e = out[i] as EngagementEventInput;
    const prev = w > 0 ? (out[w - 1] as EngagementEventInput) : undefined;
    if (prev !== undefined && prev.id === e.id && prev.occurredAt === e.occurredAt) continue;
    out[w++] = e;
  }
  out.length = w;
  return out;
}

/** Rolling-window cap state for one rule, walked newest → oldest. */
class CapWindow {
  private readonly times: number[] = [];
  private readonly amounts: number[] = [];
  private head = 0;
  private sum = 0;
  private count = 0;

  /** Returns how much of `amount` (a magnitude) may be awarded to a hit at time `t`. */
  take(t: number, amount: number, rule: CompiledEventRule): number {
    if (rule.periodMs !== undefined) {
      const limit = t + rule.periodMs;
      while (this.head < this.times.length && (this.times[this.head] as number) >= limit) {
        this.sum -= this.amounts[this.head] as number;
        this.count--;
        this.head++;
      }
    }
    if (rule.maxHits !== undefined && this.count >= rule.maxHits) return 0;
    const allowed = rule.maxPoints === undefined ? amount : Math.min(amount, rule.maxPoints - this.sum);
    if (allowed <= EPSILON) return 0;
    this.times.push(t);
    this.amounts.push(allowed);
    this.sum += allowed;
    this.count++;
    return allowed;
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

// ---------------------------------------------------------------------------------------------------
// Scoring

function profileView(profile: LeadProfileInput): ProfileView {
  const email = profile.email === undefined ? undefined : lower(profile.email);
  const at = email?.lastIndexOf('@') ?? -1;
  return {
    profile,
    email,
    domain: email !== undefined && at >= 0 ? email.slice(at + 1) : undefined,
    tags: new Set((profile.tags ?? []).map(lower)),
  };
}

/**
 * Scores `events[0..end)` (already prepared: scored, sorted, deduplicated, none after `now`). @internal
 * Shared by score() and backtest() so a replay does not re-sort for every step.
 */
export function evaluate(
  c: CompiledModel,
  profile: LeadProfileInput,
  events: readonly EngagementEventInput[],
  end: number,
  now: number,
  stage: Stage,
): ScoreResult {
  const view = profileView(profile);
  const sums: Record<Dimension, number> = { fit: 0, engagement: 0, intent: 0 };
  const hits: RuleHit[] = [];

  for (const r of c.profileRules) {
    const strength = r.test(view);
    if (strength <= 0) continue;
    const pts = r.points * strength;
    sums[r.dimension] += pts;
    hits.push({ ruleId: r.id, dimension: r.dimension, rawPoints: round2(pts), decayedPoints: round2(pts) });
  }
  const disqualifiedBy: string[] = [];
  for (const d of c.profileDisqualifiers) if (d.test(view) > 0) disqualifiedBy.push(d.id);

  // Event pass, newest first: caps keep the most recent hits (which are worth the most after decay).
  const windows: Array<CapWindow | undefined> = new Array(c.eventRules.length);
  const cappedBySlot = new Uint32Array(c.eventRules.length);
  const eventHits: RuleHit[] = [];
  const handRaises: HandRaise[] = [];
  const raised = new Set<string>();
  const eventDisq = new Set<string>();
  let lastActivityAt: number | undefined;
  for (let i = end - 1; i >= 0; i--) {
    const e = events[i] as EngagementEventInput;
    const t = e.occurredAt;
    const bucket = c.byType.get(e.type);
    if (bucket === undefined) continue;
    if (bucket.handRaisers.length > 0) {
      for (const h of bucket.handRaisers) {
        if (raised.has(h.id) || (h.withinMs !== undefined && now - t > h.withinMs)) continue;
        if (!matchesEvent(h.match, e)) continue;
        raised.add(h.id);
        handRaises.push({ ruleId: h.id, eventId: e.id, occurredAt: t });
      }
    }
    for (const d of bucket.disqualifiers)
      if (!eventDisq.has(d.id) && matchesEvent(d.match, e)) eventDisq.add(d.id);
    const rules = bucket.rules;
    // Rules in reverse so that, once the hit list is reversed into time order, each event's hits follow
    // the model's rule order.
    for (let k = rules.length - 1; k >= 0; k--) {
      const r = rules[k] as CompiledEventRule;
      if (!matchesEvent(r.match, e)) continue;
      if (r.points > 0 && lastActivityAt === undefined) lastActivityAt = t;
      let magnitude = Math.abs(r.points);
      if (r.capped) {
        let w = windows[r.slot];
        if (w === undefined) {
          w = new CapWindow();
          windows[r.slot] = w;
        }
        magnitude = w.take(t, magnitude, r);
        if (magnitude === 0) {
          cappedBySlot[r.slot] = (cappedBySlot[r.slot] as number) + 1;
          continue;
        }
      }
      const raw = r.points > 0 ? magnitude : -magnitude;
      const decayed = r.halfLifeMs === undefined ? raw : raw * 0.5 ** ((now - t) / r.halfLifeMs);
      sums[r.dimension] += decayed;
      eventHits.push({
        ruleId: r.id,
        dimension: r.dimension,
        eventId: e.id,
        occurredAt: t,
        rawPoints: round2(raw),
        decayedPoints: round2(decayed),
      });
    }
  }
  for (let i = eventHits.length - 1; i >= 0; i--) hits.push(eventHits[i] as RuleHit);
  const capped: Record<string, number> = {};
  for (const r of c.eventRules)
    if ((cappedBySlot[r.slot] as number) > 0) capped[r.id] = cappedBySlot[r.slot] as number;
  for (const d of c.model.disqualifiers) if (eventDisq.has(d.id)) disqualifiedBy.push(d.id);

  for (const r of c.inactivity) {
    if (lastActivityAt === undefined || now - lastActivityAt < r.afterMs) continue;
    sums[r.dimension] += r.points;
    hits.push({ ruleId: r.id, dimension: r.dimension, rawPoints: r.points, decayedPoints: r.points });
  }

  const totals: ScoreSnapshot = {
    fit: round2(Math.max(0, sums.fit)),
    engagement: round2(Math.max(0, sums.engagement)),
    intent: round2(Math.max(0, sums.intent)),
  };
  const partial = {
    model: c.model,
    labels: c.labels,
    totals,
    hits,
    disqualifiedBy,
    handRaises,
    lastActivityAt,
    now,
    stage,
  };
  const decision = decide(partial);

  const labels: Record<string, string> = {};
  const mention = (id: string): void => {
    const l = c.labels.get(id);
    if (l !== undefined) labels[id] = l;
  };
  for (const h of hits) mention(h.ruleId);
  for (const id of disqualifiedBy) mention(id);
  for (const h of handRaises) mention(h.ruleId);
  for (const id of Object.keys(capped)) mention(id);

  const result: ScoreResult = {
    modelId: c.model.id,
    modelVersion: c.model.version,
    at: now,
    stage,
    totals,
    thresholds: c.model.thresholds,
    hits,
    capped,
    disqualifiedBy,
    handRaises,
    eventsConsidered: end,
    labels,
    decision,
  };
  if (lastActivityAt !== undefined) result.lastActivityAt = lastActivityAt;
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Decision

const fmt = (n: number): string => String(Math.round(n * 10) / 10);
const day = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** Stages from which scoring may promote to MQL. */
const MQL_FROM: readonly Stage[] = ['subscriber', 'lead', 'nurture'];
/** Stages owned by sales: scoring only reports (and may still disqualify). */
const SALES_STAGES: readonly Stage[] = ['sql', 'opportunity'];

/** Positive contributions per rule, biggest first. */
function contributors(hits: readonly RuleHit[], dimension?: Dimension): Array<[string, number]> {
  const per = new Map<string, number>();
  for (const h of hits) {
    if (dimension !== undefined && h.dimension !== dimension) continue;
    per.set(h.ruleId, (per.get(h.ruleId) ?? 0) + h.decayedPoints);
  }
  return [...per].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

function decide(r: {
  model: ScoringModel;
  labels: ReadonlyMap<string, string>;
  totals: ScoreSnapshot;
  hits: readonly RuleHit[];
  disqualifiedBy: readonly string[];
  handRaises: readonly HandRaise[];
  lastActivityAt: number | undefined;
  now: number;
  stage: Stage;
}): Decision {
  const { totals, stage } = r;
  const mql = r.model.thresholds.mql;
  const name = (id: string): string => r.labels.get(id) ?? id;
  const scores = DIMENSIONS.map((d) => `${d} ${fmt(totals[d])}/${fmt(mql[d])}`).join(', ');

  if (stage === 'disqualified') {
    return {
      kind: 'stay',
      causes: [],
      summary: `Already disqualified; scoring does not requalify (${scores}).`,
    };
  }
  if (r.disqualifiedBy.length > 0) {
    const list = r.disqualifiedBy.map(name).join(', ');
    if (stage === 'customer') {
      return {
        kind: 'stay',
        causes: [...r.disqualifiedBy],
        summary: `Customer matches disqualifier(s) ${list}; customers are never disqualified by scoring.`,
      };
    }
    return {
      kind: 'disqualify',
      reason: 'disqualifier',
      causes: [...r.disqualifiedBy],
      summary: `Disqualified: ${list}. Disqualifiers override every score (${scores}).`,
    };
  }
  if (stage === 'customer' || SALES_STAGES.includes(stage)) {
    return {
      kind: 'stay',
      causes: [],
      summary: `Stage ${stage} is owned by sales; scores are informative (${scores}).`,
    };
  }

  const reached = DIMENSIONS.filter((d) => totals[d] >= mql[d]);
  const allThree = reached.length === DIMENSIONS.length;

  if (stage === 'mql') {
    const recycle = r.model.thresholds.recycle;
    if (recycle === undefined || r.handRaises.length > 0 || allThree) {
      return { kind: 'stay', causes: [], summary: `Still MQL (${scores}).` };
    }
    const why: string[] = [];
    const causes: string[] = [];
    if (recycle.engagementBelow !== undefined && totals.engagement < recycle.engagementBelow) {
      why.push(
        `engagement ${fmt(totals.engagement)} fell below the floor of ${fmt(recycle.engagementBelow)}`,
      );
      causes.push('thresholds.recycle.engagementBelow');
    }
    if (recycle.inactiveDays !== undefined) {
      const quietMs = r.lastActivityAt === undefined ? undefined : r.now - r.lastActivityAt;
      if (quietMs !== undefined && quietMs >= recycle.inactiveDays * DAY_MS) {
        why.push(`no activity for ${Math.floor(quietMs / DAY_MS)} days (limit ${fmt(recycle.inactiveDays)})`);
        causes.push('thresholds.recycle.inactiveDays');
      }
    }
    if (why.length === 0) return { kind: 'stay', causes: [], summary: `Still MQL (${scores}).` };
    for (const h of r.hits) if (h.decayedPoints < 0 && !causes.includes(h.ruleId)) causes.push(h.ruleId);
    return {
      kind: 'recycle',
      reason: 'no_engagement',
      causes,
      summary: `Recycle to nurture: ${why.join(' and ')}. Not dead, not ready to buy yet (${scores}).`,
    };
  }

  if (MQL_FROM.includes(stage)) {
    if (r.handRaises.length > 0) {
      const raises = [...r.handRaises].sort((a, b) => b.occurredAt - a.occurredAt);
      const first = raises[0] as HandRaise;
      return {
        kind: 'mql',
        reason: 'hand_raiser',
        causes: raises.map((h) => h.ruleId),
        summary: `MQL (hand-raiser): ${name(first.ruleId)} on ${day(first.occurredAt)} fast-tracks to sales (${scores}).`,
      };
    }
    if (allThree) {
      const causes: string[] = [];
      for (const d of DIMENSIONS)
        for (const [id] of contributors(r.hits, d)) if (!causes.includes(id)) causes.push(id);
      const top = contributors(r.hits)
        .slice(0, 4)
        .map(([id, pts]) => `${name(id)} +${fmt(pts)}`)
        .join(', ');
      return {
        kind: 'mql',
        reason: stage === 'nurture' ? 're_engaged' : 'score_threshold',
        causes,
        summary: `MQL: fit, engagement and intent all reached their thresholds (${scores}). Top reasons: ${top}.`,
      };
    }
    const missing = DIMENSIONS.filter((d) => totals[d] < mql[d])
      .map((d) => `${d} +${fmt(mql[d] - totals[d])}`)
      .join(', ');
    return { kind: 'stay', causes: [], summary: `Not MQL yet: needs ${missing} (${scores}).` };
  }
  return { kind: 'stay', causes: [], summary: `No scoring move from ${stage} (${scores}).` };
}

// ---------------------------------------------------------------------------------------------------
// Public API

/**
 * Scores a lead at instant `now` (epoch ms). Events with `scored: false` or after `now` are ignored;
 * a re-delivered event (same id and time) counts once. `opts.stage` (default `lead`) decides which moves are possible.
 * Inputs are trusted (validate at the boundary with parseEvents / parseProfile).
 */
export function score(
  model: ScoringModel,
  profile: LeadProfileInput,
  events: readonly EngagementEventInput[],
  now: number,
  opts: ScoreOptions = {},
): ScoreResult {
  const prepared = prepareEvents(events, now);
  return evaluate(compileModel(model), profile, prepared, prepared.length, now, opts.stage ?? 'lead');
}

export interface ApplyDecisionOptions {
  /** Epoch ms recorded on the transition (defaults to the result's `at`). */
  at?: number;
}

/**
 * The stage transition a decision implies (mql → `mql`, disqualify → `disqualified`, recycle → `nurture`),
 * checked against the lifecycle table, or undefined for `stay`. The actor is the scoring model.
 */
export function applyDecision(
  result: ScoreResult,
  opts: ApplyDecisionOptions = {},
): StageTransition | undefined {
  const { decision } = result;
  if (decision.kind === 'stay' || decision.reason === undefined) return undefined;
  const to: Stage =
    decision.kind === 'mql' ? 'mql' : decision.kind === 'disqualify' ? 'disqualified' : 'nurture';
  return transition(result.stage, to, {
    reason: decision.reason,
    actor: { kind: 'scoring_rule', id: `${result.modelId}@${result.modelVersion}` },
    snapshot: result.totals,
    ruleIds: decision.causes,
    at: opts.at ?? result.at,
  });
}

/** Human lines: the decision, then each dimension with its rules, then disqualifiers and hand-raisers. */
export function explain(result: ScoreResult): string[] {
  const name = (id: string): string => result.labels[id] ?? id;
  const lines = [result.decision.summary];
  const mql = result.thresholds.mql;
  for (const d of DIMENSIONS) {
    const per = new Map<string, { pts: number; n: number }>();
    for (const h of result.hits) {
      if (h.dimension !== d) continue;
      const cur = per.get(h.ruleId) ?? { pts: 0, n: 0 };
      cur.pts += h.decayedPoints;
      cur.n++;
      per.set(h.ruleId, cur);
    }
    const parts = [...per]
      .sort((a, b) => Math.abs(b[1].pts) - Math.abs(a[1].pts) || (a[0] < b[0] ? -1 : 1))
      .map(([id, { pts, n }]) => {
        const cappedN = result.capped[id];
        const sign = pts >= 0 ? '+' : '';
        return `${name(id)}${n > 1 ? ` ×${n}` : ''} ${sign}${fmt(pts)}${cappedN ? ` (${cappedN} capped)` : ''}`;
      });
    const title = d[0]?.toUpperCase() + d.slice(1);
    lines.push(
      `${title} ${fmt(result.totals[d])}/${fmt(mql[d])}: ${parts.length ? parts.join(', ') : 'no points'}`,
    );
  }
  if (result.disqualifiedBy.length > 0) {
    lines.push(`Disqualifiers matched: ${result.disqualifiedBy.map(name).join(', ')}`);
  }
  for (const h of result.handRaises) lines.push(`Hand-raiser: ${name(h.ruleId)} on ${day(h.occurredAt)}`);
  if (result.lastActivityAt !== undefined) {
    const days = Math.floor((result.at - result.lastActivityAt) / DAY_MS);
    lines.push(`Last activity ${day(result.lastActivityAt)} (${days} day(s) before scoring)`);
  }
  return lines;
}
