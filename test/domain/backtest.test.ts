import { describe, expect, it } from 'vitest';
import {
  type BacktestLead,
  backtest,
  defaultScoringModel,
  parseScoringModel,
  replayLead,
  type ScoringModelInput,
} from '../../domain/scoring/index.ts';
import { DAY, ev, model, NOW } from './scoring-helpers.ts';

const base: Partial<ScoringModelInput> = {
  fit: [{ id: 'fit.vp', when: { kind: 'seniority', in: ['vp'] }, points: 40 }],
  engagement: [{ id: 'eng.dl', match: { types: ['content_download'] }, points: 10, halfLifeDays: 20 }],
  intent: [{ kind: 'event', id: 'int.pricing', match: { types: ['pricing_request'] }, points: 25 }],
  handRaisers: [{ id: 'hr.demo', match: { types: ['demo_request'] }, withinDays: 30 }],
  disqualifiers: [{ id: 'dq.student', when: { kind: 'seniority', in: ['student'] } }],
};

const modelA = model({
  ...base,
  thresholds: { mql: { fit: 40, engagement: 30, intent: 25 }, recycle: { engagementBelow: 10 } },
});

const vp = { seniority: 'vp' } as const;
const leads: BacktestLead[] = [
  // engagement (half-life 20 days) reaches 35.5 on day -40 (MQL under A) and 18.4 on day -45
  {
    leadId: 'steady',
    profile: vp,
    events: [
      ev('pricing_request', 60),
      ev('content_download', 50),
      ev('content_download', 45),
      ev('content_download', 40),
      ev('content_download', 40),
    ],
  },
  // hand-raiser: MQL under both
  { leadId: 'raiser', profile: {}, events: [ev('demo_request', 10)] },
  // disqualified under both
  { leadId: 'student', profile: { seniority: 'student' }, events: [ev('demo_request', 5)] },
  // never qualifies
  { leadId: 'reader', profile: {}, events: [ev('content_download', 3)] },
];

describe('backtest', () => {
  it('reports no change for the same model', () => {
    const report = backtest(modelA, modelA, leads);
    expect(report.summary).toMatchObject({ leads: 4, changed: 0, becameMql: 0, noLongerMql: 0 });
    expect(report.summary.mql).toEqual({ a: 2, b: 2 });
    expect(report.summary.disqualified).toEqual({ a: 1, b: 1 });
    expect(report.leads.every((l) => !l.changed && l.changes.length === 0)).toBe(true);
  });

  it('finds leads that change decision, and when', () => {
    const stricter = model({
      ...base,
      version: 2,
      thresholds: { mql: { fit: 40, engagement: 30, intent: 30 } },
    });
    const report = backtest(modelA, stricter, leads);
    const steady = report.leads.find((l) => l.leadId === 'steady');
    expect(steady?.a.firstMqlAt).toBe(NOW - 40 * DAY);
    expect(steady?.b.firstMqlAt).toBeUndefined();
    expect(steady?.changes).toEqual([
      `first MQL: ${new Date(NOW - 40 * DAY).toISOString()} → never`,
      'final stage: mql → lead',
    ]);
    expect(report.summary).toMatchObject({ changed: 1, noLongerMql: 1, becameMql: 0, finalStageChanged: 1 });
    expect(report.modelB).toEqual({ id: 'test', version: 2 });
  });

  it('detects earlier qualification', () => {
    const looser = model({ ...base, thresholds: { mql: { fit: 40, engagement: 15, intent: 25 } } });
    const report = backtest(modelA, looser, leads);
    const steady = report.leads.find((l) => l.leadId === 'steady');
    expect(steady?.b.firstMqlAt).toBe(NOW - 45 * DAY);
    expect(report.summary.earlierMql).toBe(1);
  });

  it('replays the stage: MQL, then recycled to nurture when engagement decays', () => {
    const replay = replayLead(modelA, leads[0] as BacktestLead, { until: NOW, stepDays: 1 });
    expect(replay.transitions.map((t) => `${t.from}→${t.to}:${t.reason}`)).toEqual([
      'lead→mql:score_threshold',
      'mql→nurture:no_engagement',
    ]);
    const [mql, recycle] = replay.transitions;
    expect(mql?.at).toBe(NOW - 40 * DAY);
    expect(recycle?.at).toBeGreaterThan(NOW - 40 * DAY);
    expect(recycle?.snapshot.engagement).toBeLessThan(10);
    expect(replay.finalStage).toBe('nurture');
  });

  it('disqualifies at the first checkpoint and stays there', () => {
    const replay = replayLead(modelA, leads[2] as BacktestLead);
    expect(replay.firstDisqualifiedAt).toBe(NOW - 5 * DAY);
    expect(replay.firstMqlAt).toBeUndefined();
    expect(replay.finalStage).toBe('disqualified');
    expect(replay.transitions).toHaveLength(1);
  });

  it('handles a lead without events and the default model', () => {
    const replay = replayLead(defaultScoringModel, { leadId: 'x', profile: {}, events: [] }, { until: NOW });
    expect(replay.transitions).toEqual([]);
    expect(replay.finalDecision).toBe('stay');
    expect(parseScoringModel(modelA)).toEqual(modelA);
  });
});
