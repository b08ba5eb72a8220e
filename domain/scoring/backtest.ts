// Backtest: replays each lead's history through two scoring models and reports which leads would change
// decision or stage, and when each model would first mark them MQL / disqualified. Use it before
// shipping a new model version ("what does raising the intent threshold do to last quarter's leads?").
//
// The replay evaluates the lead after every event time (and every `stepDays` when given, so decay and
// inactivity can recycle an MQL between events), applying the scoring decisions to a simulated stage.
// Sales decisions are not in the event stream, so replayed MQLs stay MQL unless recycled/disqualified.
// The profile is the lead's current one (profile history is not replayed).
// Cost per lead and model: O(checkpoints × events).
import type { EngagementEventInput } from '../events.ts';
import type { ScoreSnapshot, Stage, StageTransition } from '../lifecycle/stages.ts';
import type { LeadProfileInput } from '../profile.ts';
import type { ScoringModel } from './model.ts';
import { applyDecision, compileModel, type DecisionKind, evaluate, prepareEvents } from './score.ts';

const DAY_MS = 86_400_000;

export interface BacktestLead {
  leadId: string;
  profile: LeadProfileInput;
  events: readonly EngagementEventInput[];
}

export interface BacktestOptions {
  /** Stage every lead starts in. Default `lead`. */
  initialStage?: Stage;
  /** Replay up to this instant (epoch ms). Default: each lead's last event. */
  until?: number;
  /** Also evaluate every `stepDays` between events (decay / inactivity). Off by default. */
  stepDays?: number;
}

export interface ModelReplay {
  modelId: string;
  modelVersion: number;
  finalStage: Stage;
  /** Decision at the last checkpoint (already applied to finalStage when it moved the lead). */
  finalDecision: DecisionKind;
  finalTotals: ScoreSnapshot;
  firstMqlAt?: number;
  firstDisqualifiedAt?: number;
  /** Every transition the replay applied, in order, each with `at`. */
  transitions: StageTransition[];
}

export interface LeadComparison {
  leadId: string;
  a: ModelReplay;
  b: ModelReplay;
  changed: boolean;
  /** Human lines, e.g. `first MQL: 2024-03-02 → never`. */
  changes: string[];
}

export interface BacktestSummary {
  leads: number;
  changed: number;
  mql: { a: number; b: number };
  disqualified: { a: number; b: number };
  /** MQL under B only / under A only. */
  becameMql: number;
  noLongerMql: number;
  /** Both MQL, B earlier / later. */
  earlierMql: number;
  laterMql: number;
  finalStageChanged: number;
}

export interface BacktestReport {
  modelA: { id: string; version: number };
  modelB: { id: string; version: number };
  leads: LeadComparison[];
  summary: BacktestSummary;
}

function checkpoints(events: readonly EngagementEventInput[], opts: BacktestOptions): number[] {
  const times: number[] = [];
  for (const e of events) if (times[times.length - 1] !== e.occurredAt) times.push(e.occurredAt);
  const until = opts.until ?? times[times.length - 1];
  if (until === undefined) return [];
  const out = times.filter((t) => t <= until);
  if (opts.stepDays !== undefined && opts.stepDays > 0 && out.length > 0) {
    const step = opts.stepDays * DAY_MS;
    const start = out[0] as number;
    for (let t = start + step; t < until; t += step) out.push(t);
  }
  if (out[out.length - 1] !== until) out.push(until);
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Replays one lead through one model. */
export function replayLead(model: ScoringModel, lead: BacktestLead, opts: BacktestOptions = {}): ModelReplay {
  const compiled = compileModel(model);
  const events = prepareEvents(lead.events, opts.until);
  const points = checkpoints(events, opts);
  if (points.length === 0) points.push(opts.until ?? 0);
  let stage: Stage = opts.initialStage ?? 'lead';
  const transitions: StageTransition[] = [];
  let firstMqlAt: number | undefined;
  let firstDisqualifiedAt: number | undefined;
  let end = 0;
  let last: ReturnType<typeof evaluate> | undefined;
  for (const t of points) {
    while (end < events.length && (events[end] as EngagementEventInput).occurredAt <= t) end++;
    last = evaluate(compiled, lead.profile, events, end, t, stage);
    const tr = applyDecision(last, { at: t });
    if (tr === undefined) continue;
    transitions.push(tr);
    stage = tr.to;
    if (tr.to === 'mql' && firstMqlAt === undefined) firstMqlAt = t;
    if (tr.to === 'disqualified' && firstDisqualifiedAt === undefined) firstDisqualifiedAt = t;
  }
  const final = last as ReturnType<typeof evaluate>;
  const replay: ModelReplay = {
    modelId: model.id,
    modelVersion: model.version,
    finalStage: stage,
    finalDecision: final.decision.kind,
    finalTotals: final.totals,
    transitions,
  };
  if (firstMqlAt !== undefined) replay.firstMqlAt = firstMqlAt;
  if (firstDisqualifiedAt !== undefined) replay.firstDisqualifiedAt = firstDisqualifiedAt;
  return replay;
}

const when = (t: number | undefined): string => (t === undefined ? 'never' : new Date(t).toISOString());

export const emptyBacktestSummary = (): BacktestSummary => ({
  leads: 0,
  changed: 0,
  mql: { a: 0, b: 0 },
  disqualified: { a: 0, b: 0 },
  becameMql: 0,
  noLongerMql: 0,
  earlierMql: 0,
  laterMql: 0,
  finalStageChanged: 0,
});

/** Adds `part` into `total` (backtests run in batches, e.g. page by page over a database). */
export function addBacktestSummary(total: BacktestSummary, part: BacktestSummary): void {
  for (const key of Object.keys(total) as (keyof BacktestSummary)[]) {
    const t = total[key];
    const p = part[key];
    if (typeof t === 'number' && typeof p === 'number') (total[key] as number) = t + p;
    else if (typeof t === 'object' && typeof p === 'object') {
      t.a += p.a;
      t.b += p.b;
    }
  }
}

/** Replays every lead through model A and model B and lists the differences. */
export function backtest(
  modelA: ScoringModel,
  modelB: ScoringModel,
  leads: readonly BacktestLead[],
  opts: BacktestOptions = {},
): BacktestReport {
  const summary = emptyBacktestSummary();
  summary.leads = leads.length;
  const out: LeadComparison[] = [];
  for (const lead of leads) {
    const a = replayLead(modelA, lead, opts);
    const b = replayLead(modelB, lead, opts);
    const changes: string[] = [];
    if (a.firstMqlAt !== b.firstMqlAt)
      changes.push(`first MQL: ${when(a.firstMqlAt)} → ${when(b.firstMqlAt)}`);
    if (a.firstDisqualifiedAt !== b.firstDisqualifiedAt) {
      changes.push(`disqualified: ${when(a.firstDisqualifiedAt)} → ${when(b.firstDisqualifiedAt)}`);
    }
    if (a.finalStage !== b.finalStage) changes.push(`final stage: ${a.finalStage} → ${b.finalStage}`);

    if (a.firstMqlAt !== undefined) summary.mql.a++;
    if (b.firstMqlAt !== undefined) summary.mql.b++;
    if (a.firstDisqualifiedAt !== undefined) summary.disqualified.a++;
    if (b.firstDisqualifiedAt !== undefined) summary.disqualified.b++;
    if (a.firstMqlAt === undefined && b.firstMqlAt !== undefined) summary.becameMql++;
    if (a.firstMqlAt !== undefined && b.firstMqlAt === undefined) summary.noLongerMql++;
    if (a.firstMqlAt !== undefined && b.firstMqlAt !== undefined) {
      if (b.firstMqlAt < a.firstMqlAt) summary.earlierMql++;
      if (b.firstMqlAt > a.firstMqlAt) summary.laterMql++;
    }
    if (a.finalStage !== b.finalStage) summary.finalStageChanged++;
    if (changes.length > 0) summary.changed++;
    out.push({ leadId: lead.leadId, a, b, changed: changes.length > 0, changes });
  }
  return {
    modelA: { id: modelA.id, version: modelA.version },
    modelB: { id: modelB.id, version: modelB.version },
    leads: out,
    summary,
  };
}
