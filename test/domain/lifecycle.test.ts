import { describe, expect, it } from 'vitest';
import {
  type Actor,
  ALLOWED_TRANSITIONS,
  allowedPairs,
  canTransition,
  IllegalTransitionError,
  type ReasonCode,
  SALES_OWNED_STAGES,
  STAGES,
  type Stage,
  StageTransition,
  transition,
} from '../../domain/lifecycle/index.ts';

const snapshot = { fit: 50, engagement: 31, intent: 26 };

/** A plausible (reason, actor) for each allowed move, as the engine or a person would make it. */
function moveFor(from: Stage, to: Stage): { reason: ReasonCode; actor: Actor } {
  const sales: Actor = { kind: 'sales_user', id: 'u-7' };
  const scoring: Actor = { kind: 'scoring_rule', id: 'default@1' };
  const operator: Actor = { kind: 'operator', id: 'op-1' };
  if (from === 'disqualified') return { reason: 'operator', actor: operator };
  switch (to) {
    case 'lead':
      return { reason: 'form_submitted', actor: { kind: 'workflow', id: 'wf-1' } };
    case 'mql':
      return { reason: from === 'nurture' ? 're_engaged' : 'score_threshold', actor: scoring };
    case 'sql':
      return { reason: 'sales_accepted', actor: sales };
    case 'opportunity':
      return { reason: from === 'customer' ? 'expansion' : 'sales_accepted', actor: sales };
    case 'customer':
      return { reason: 'won', actor: sales };
    case 'nurture': {
      const reason: Record<Stage, ReasonCode> = {
        subscriber: 'enrolled',
        lead: 'enrolled',
        mql: 'sla_expired',
        sql: 'sales_rejected',
        opportunity: 'lost',
        customer: 'churned',
        nurture: 'operator',
        disqualified: 'operator',
      };
      return { reason: reason[from], actor: from === 'mql' ? { kind: 'workflow', id: 'sla' } : sales };
    }
    case 'disqualified':
      return { reason: 'disqualifier', actor: scoring };
    default:
      return { reason: 'operator', actor: operator };
  }
}

describe('lifecycle stages', () => {
  it('has the eight stages', () => {
    expect(STAGES).toEqual([
      'subscriber',
      'lead',
      'mql',
      'sql',
      'opportunity',
      'customer',
      'nurture',
      'disqualified',
    ]);
  });

  it.each(allowedPairs())('allows %s → %s', (from, to) => {
    const { reason, actor } = moveFor(from, to);
    expect(canTransition(from, to)).toBe(true);
    expect(canTransition(from, to, actor)).toBe(true);
    const t = transition(from, to, { reason, actor, snapshot, ruleIds: ['r1'], at: 1_700_000_000_000 });
    expect(StageTransition.parse(t)).toEqual(t);
    expect(t).toMatchObject({ from, to, reason, actor, snapshot, ruleIds: ['r1'], at: 1_700_000_000_000 });
  });

  it('covers the backward moves the playbook needs', () => {
    expect(ALLOWED_TRANSITIONS.mql).toContain('nurture'); // not accepted in time / sales rejects / goes cold
    expect(ALLOWED_TRANSITIONS.sql).toContain('nurture'); // sales says "not now"
    expect(ALLOWED_TRANSITIONS.opportunity).toContain('nurture'); // lost
    expect(ALLOWED_TRANSITIONS.nurture).toContain('mql'); // re-engaged
    for (const s of STAGES) {
      if (s === 'customer' || s === 'disqualified') continue;
      expect(ALLOWED_TRANSITIONS[s]).toContain('disqualified');
    }
    expect(ALLOWED_TRANSITIONS.customer).not.toContain('disqualified');
  });

  it('canTransition matches the table for all 64 pairs', () => {
    for (const from of STAGES) {
      for (const to of STAGES) {
        expect(canTransition(from, to)).toBe(ALLOWED_TRANSITIONS[from].includes(to));
      }
    }
  });

  const illegal: Array<[Stage, Stage]> = [
    ['lead', 'lead'],
    ['mql', 'mql'],
    ['customer', 'disqualified'],
    ['lead', 'customer'],
    ['lead', 'opportunity'],
    ['subscriber', 'opportunity'],
    ['subscriber', 'customer'],
    ['mql', 'opportunity'],
    ['mql', 'lead'],
    ['mql', 'customer'],
    ['sql', 'customer'],
    ['sql', 'lead'],
    ['opportunity', 'mql'],
    ['customer', 'lead'],
    ['customer', 'mql'],
    ['nurture', 'customer'],
    ['disqualified', 'mql'],
    ['disqualified', 'sql'],
    ['disqualified', 'customer'],
  ];
  it.each(illegal)('rejects %s → %s with IllegalTransitionError', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let err: unknown;
    try {
      transition(from, to, { reason: 'operator', actor: { kind: 'operator', id: 'op' }, snapshot });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect(err).toBeInstanceOf(Error);
    const e = err as IllegalTransitionError;
    expect(e.from).toBe(from);
    expect(e.to).toBe(to);
    expect(e.name).toBe('IllegalTransitionError');
    expect(e.message).toContain(from);
    expect(e.message).toContain(to);
  });

  it('never lets scoring (or a workflow) decide SQL, opportunity or customer', () => {
    for (const to of SALES_OWNED_STAGES) {
      for (const from of STAGES) {
        if (!ALLOWED_TRANSITIONS[from].includes(to)) continue;
        for (const kind of ['scoring_rule', 'workflow'] as const) {
          expect(canTransition(from, to, { kind })).toBe(false);
          expect(() =>
            transition(from, to, { reason: 'score_threshold', actor: { kind, id: 'x' }, snapshot }),
          ).toThrowError(/decided by sales/);
        }
        expect(canTransition(from, to, { kind: 'sales_user' })).toBe(true);
      }
    }
  });

  it('only an operator or an import can undo a disqualification', () => {
    expect(canTransition('disqualified', 'lead', { kind: 'operator' })).toBe(true);
    expect(canTransition('disqualified', 'nurture', { kind: 'import' })).toBe(true);
    expect(canTransition('disqualified', 'lead', { kind: 'scoring_rule' })).toBe(false);
    expect(canTransition('disqualified', 'nurture', { kind: 'workflow' })).toBe(false);
    expect(() =>
      transition('disqualified', 'lead', {
        reason: 're_engaged',
        actor: { kind: 'scoring_rule', id: 'm' },
        snapshot,
      }),
    ).toThrowError(IllegalTransitionError);
  });

  it('rejects unknown stages and reason codes', () => {
    expect(canTransition('lead' as Stage, 'vip' as Stage)).toBe(false);
    expect(() =>
      transition('lead', 'mql', {
        reason: 'because' as ReasonCode,
        actor: { kind: 'scoring_rule', id: 'm' },
        snapshot,
      }),
    ).toThrowError(/unknown reason code "because"/);
  });

  it('copies its inputs so later mutation does not change the record', () => {
    const ruleIds = ['a'];
    const snap = { ...snapshot };
    const t = transition('lead', 'mql', {
      reason: 'score_threshold',
      actor: { kind: 'scoring_rule', id: 'm' },
      snapshot: snap,
      ruleIds,
    });
    ruleIds.push('b');
    snap.fit = 0;
    expect(t.ruleIds).toEqual(['a']);
    expect(t.snapshot.fit).toBe(50);
    expect(t).not.toHaveProperty('at');
  });
});
