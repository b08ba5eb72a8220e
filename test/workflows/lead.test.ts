// The lead workflow on Temporal's time-skipping server: every DSL step, both waitFor branches,
// goals, A/B splits, hand-raisers mid-wait, SLA timers, sales feedback, unsubscribe, erase,
// update validation and continue-as-new. Weeks pass in milliseconds.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  branch,
  defineSequence,
  exit,
  goal,
  on,
  recycle,
  send,
  setField,
  split,
  tag,
  wait,
  waitFor,
  when,
} from '../../domain/sequence/index.ts';
import {
  enrolUpdate,
  eraseSignal,
  eventSignal,
  exitUpdate,
  feedbackUpdate,
  stateQuery,
  unsubscribeSignal,
} from '../../workflows/definitions.ts';
import { startHarness, until } from './harness.ts';

let h: Awaited<ReturnType<typeof startHarness>>;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const emails = (effects: { kind: string; detail: string }[]) =>
  effects.filter((e) => e.kind === 'email').map((e) => e.detail);
const DAY = 86_400_000;

describe('sequence steps', () => {
  it('send, wait, tag, setField, branch and exit run in order', async () => {
    const seq = defineSequence({
      id: 'steps',
      version: 1,
      name: 'steps',
      steps: [
        send('welcome'),
        wait('2d'),
        tag(['warm']),
        setField('track', 'b'),
        branch(
          when.all(when.tag('warm'), when.field('track', 'b')),
          [send('ebook-followup-1')],
          [send('ebook-followup-2')],
        ),
        exit('done'),
      ],
    });
    const lead = await h.startLead({ sequence: seq });
    await until(
      () => emails(lead.effects()),
      (e) => e.length === 1,
    );
    const t0 = lead.effects('email')[0]?.at as number;
    await h.env.sleep('2d');
    const sent = await until(
      () => lead.effects('email'),
      (e) => e.length === 2,
    );
    expect(emails(sent)).toEqual(['welcome', 'ebook-followup-1']);
    expect((sent[1]?.at as number) - t0).toBeGreaterThanOrEqual(2 * DAY);
    const state = await until(
      () => lead.handle.query(stateQuery),
      (s) => s.sequence === undefined,
    );
    expect(state.tags).toContain('warm');
    expect(state.timeline.some((t) => t.kind === 'exited' && t.detail.includes('done'))).toBe(true);
  });

  it('waitFor takes the onEvent branch when a matching event arrives', async () => {
    const seq = defineSequence({
      id: 'wf',
      version: 1,
      name: 'wf',
      steps: [
        waitFor('email_click', {
          timeout: '3d',
          onEvent: [send('ebook-followup-1')],
          onTimeout: [send('ebook-followup-2')],
        }),
      ],
    });
    const lead = await h.startLead({ sequence: seq });
    await lead.handle.signal(eventSignal, await h.event('page_view')); // does not match: keeps waiting
    await lead.handle.signal(eventSignal, await h.event('email_click'));
    await until(
      () => emails(lead.effects()),
      (e) => e.length === 1,
    );
    expect(emails(lead.effects())).toEqual(['ebook-followup-1']);
  });

  it('waitFor takes the onTimeout branch when nothing arrives', async () => {
    const seq = defineSequence({
      id: 'wf',
      version: 2,
      name: 'wf',
      steps: [
        waitFor('email_click', {
          timeout: '3d',
          onEvent: [send('ebook-followup-1')],
          onTimeout: [send('ebook-followup-2')],
        }),
      ],
    });
    const lead = await h.startLead({ sequence: seq });
    await h.env.sleep('3d');
    await until(
      () => emails(lead.effects()),
      (e) => e.length === 1,
    );
    expect(emails(lead.effects())).toEqual(['ebook-followup-2']);
  });

  it('a goal ends the sequence as soon as it is met', async () => {
    const seq = defineSequence({
      id: 'goal',
      version: 1,
      name: 'goal',
      steps: [send('welcome'), wait('5d'), send('ebook-followup-1')],
      goals: [goal('meeting', on('custom', { properties: { name: 'meeting_booked' } }))],
    });
    const lead = await h.startLead({ sequence: seq });
    await until(
      () => emails(lead.effects()),
      (e) => e.length === 1,
    );
    await lead.handle.signal(
      eventSignal,
      await h.event('custom', { properties: { name: 'meeting_booked' } }),
    );
    const s = await until(
      () => lead.handle.query(stateQuery),
      (st) => st.sequence === undefined,
    );
    expect(s.timeline.some((t) => t.kind === 'goal' && t.detail === 'meeting')).toBe(true);
    await h.env.sleep('6d');
    expect(emails(lead.effects())).toEqual(['welcome']);
  });

  it('split sends each lead down one stable variant', async () => {
    const seq = defineSequence({
      id: 'ab',
      version: 1,
      name: 'ab',
      steps: [
        split(
          {
            a: { weight: 1, steps: [send('ebook-followup-1')] },
            b: { weight: 1, steps: [send('ebook-followup-2')] },
          },
          { id: 'subject-test' },
        ),
      ],
    });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const lead = await h.startLead({ sequence: seq });
      const [mail] = await until(
        () => emails(lead.effects()),
        (e) => e.length === 1,
      );
      const st = await lead.handle.query(stateQuery);
      const variant = st.timeline
        .find((t) => t.detail.startsWith('split subject-test'))
        ?.detail.split('→ ')[1];
      expect(mail).toBe(variant === 'a' ? 'ebook-followup-1' : 'ebook-followup-2');
      seen.add(variant as string);
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it('recycle moves the lead to nurture and enrols the target sequence after the delay', async () => {
    const seq = defineSequence({
      id: 'rec',
      version: 1,
      name: 'rec',
      steps: [send('welcome'), recycle('long-cycle-nurture', { after: '2d' })],
    });
    const lead = await h.startLead({ sequence: seq });
    const s1 = await until(
      () => lead.handle.query(stateQuery),
      (s) => s.pending !== undefined,
    );
    expect(s1.stage).toBe('nurture');
    expect(s1.pending?.sequenceId).toBe('long-cycle-nurture');
    await h.env.sleep('2d');
    const s2 = await until(
      () => lead.handle.query(stateQuery),
      (s) => s.sequence?.id === 'long-cycle-nurture',
    );
    expect(s2.pending).toBeUndefined();
    expect(lead.effects('stage').map((e) => e.detail)).toEqual(['subscriber → nurture (no_engagement)']);
  });
});

describe('scoring and handoff', () => {
  it('a hand-raiser mid-wait hands off at once, without waiting for the timer', async () => {
    const lead = await h.startLead({ sequenceId: 'lead-magnet' });
    await until(
      () => emails(lead.effects()),
      (e) => e.includes('welcome'),
    );
    await lead.handle.signal(eventSignal, await h.event('demo_request'));
    const state = await until(
      () => lead.handle.query(stateQuery),
      (s) => s.handoff !== undefined,
    );
    expect(state.stage).toBe('mql');
    expect(state.sequence).toBeUndefined();
    expect(state.explanation.join(' ')).toMatch(/MQL/i);
    await until(
      () => lead.effects('sales_email'),
      (e) => e.length === 1,
    );
    expect(lead.effects('stage').map((e) => e.detail)).toEqual([
      'subscriber → lead (form_submitted)',
      'lead → mql (hand_raiser)',
    ]);
    expect(lead.effects('webhook').map((e) => e.detail)).toContain('lead.handoff');
  });

  it('SLA: reminder, then escalation to the manager, then back to nurture', async () => {
    const lead = await h.startLead({ sequenceId: 'lead-magnet' });
    await lead.handle.signal(eventSignal, await h.event('contact_request'));
    await until(
      () => lead.effects('sales_email'),
      (e) => e.length === 1,
    );
    await h.env.sleep('5h');
    await until(
      () => lead.effects('sales_email'),
      (e) => e.length === 2,
    );
    await h.env.sleep('20h');
    const mails = await until(
      () => lead.effects('sales_email'),
      (e) => e.length === 3,
    );
    expect(mails.map((m) => m.detail)).toEqual([
      'new → rep@example.test',
      'reminder → rep@example.test',
      'escalation → manager@example.test',
    ]);
    await h.env.sleep('48h');
    const state = await until(
      () => lead.handle.query(stateQuery),
      (s) => s.stage === 'nurture',
    );
    expect(state.sequence?.id ?? state.pending?.sequenceId).toBe('long-cycle-nurture');
    expect(lead.effects('stage').map((e) => e.detail)).toEqual([
      'subscriber → lead (form_submitted)',
      'lead → mql (hand_raiser)',
      'mql → nurture (sla_expired)',
    ]);
  });

  const handedOff = async () => {
    const lead = await h.startLead({ sequenceId: 'lead-magnet' });
    await lead.handle.signal(eventSignal, await h.event('demo_request'));
    await until(
      () => lead.handle.query(stateQuery),
      (s) => s.handoff !== undefined,
    );
    return lead;
  };

  it('accept → sql, then won → customer', async () => {
    const lead = await handedOff();
    const accepted = await lead.handle.executeUpdate(feedbackUpdate, {
      args: [{ kind: 'accept', actor: 'rep-1' }],
    });
    expect(accepted.stage).toBe('sql');
    const won = await lead.handle.executeUpdate(feedbackUpdate, { args: [{ kind: 'won', actor: 'rep-1' }] });
    expect(won.stage).toBe('customer');
    expect(lead.effects('stage').map((e) => e.detail)).toEqual([
      'subscriber → lead (form_submitted)',
      'lead → mql (hand_raiser)',
      'mql → sql (sales_accepted)',
      'sql → opportunity (sales_accepted)',
      'opportunity → customer (won)',
    ]);
    // Answered: the SLA clock stops, no reminder ever goes out.
    await h.env.sleep('3d');
    expect(lead.effects('sales_email').map((e) => e.detail)).toEqual(['new → rep@example.test']);
  });

  it('reject → nurture with the post-rejection sequence', async () => {
    const lead = await handedOff();
    const s = await lead.handle.executeUpdate(feedbackUpdate, {
      args: [{ kind: 'reject', actor: 'rep-1', reason: 'no budget this year' }],
    });
    expect(s.stage).toBe('nurture');
    expect(s.sequence?.id).toBe('post-rejection');
    expect(s.timeline.some((t) => t.kind === 'feedback' && t.detail.includes('no budget'))).toBe(true);
  });

  it('lost → nurture with the long-cycle sequence', async () => {
    const lead = await handedOff();
    await lead.handle.executeUpdate(feedbackUpdate, { args: [{ kind: 'accept', actor: 'rep-1' }] });
    await lead.handle.executeUpdate(feedbackUpdate, { args: [{ kind: 'opportunity', actor: 'rep-1' }] });
    const s = await lead.handle.executeUpdate(feedbackUpdate, {
      args: [{ kind: 'lost', actor: 'rep-1', reason: 'chose a competitor' }],
    });
    expect(s.stage).toBe('nurture');
    expect(s.sequence?.id).toBe('long-cycle-nurture');
  });

  it('refuses impossible feedback and bad enrolments with errors naming the field', async () => {
    const lead = await h.startLead({ sequenceId: 'lead-magnet' });
    const refusal = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      return (err as WorkflowUpdateFailedError).cause?.message;
    };
    expect(
      await refusal(lead.handle.executeUpdate(feedbackUpdate, { args: [{ kind: 'accept', actor: 'x' }] })),
    ).toBe("kind: 'accept' is not possible while the lead is 'subscriber'");
    expect(await refusal(lead.handle.executeUpdate(enrolUpdate, { args: [{ sequenceId: 'nope' }] }))).toBe(
      "sequenceId: unknown sequence 'nope'",
    );
    expect(await refusal(lead.handle.executeUpdate(exitUpdate, { args: [{ reason: '' }] }))).toBe(
      'reason: required',
    );
    const other = await handedOff();
    expect(
      await refusal(other.handle.executeUpdate(feedbackUpdate, { args: [{ kind: 'reject', actor: 'x' }] })),
    ).toBe('reason: required for reject and lost');
    // The refused requests changed nothing.
    expect((await other.handle.query(stateQuery)).stage).toBe('mql');
  });

  it('enrol and exit updates move a running lead', async () => {
    const lead = await h.startLead({ sequenceId: 'lead-magnet' });
    await until(
      () => emails(lead.effects()),
      (e) => e.includes('welcome'),
    );
    const exited = await lead.handle.executeUpdate(exitUpdate, { args: [{ reason: 'operator request' }] });
    expect(exited.sequence).toBeUndefined();
    const enrolled = await lead.handle.executeUpdate(enrolUpdate, {
      args: [{ sequenceId: 'mql-acceleration' }],
    });
    expect(enrolled.sequence?.id).toBe('mql-acceleration');
    await until(
      () => emails(lead.effects()),
      (e) => e.includes('pricing-followup'),
    );
  });
});

describe('consent, erasure and long lives', () => {
  it('unsubscribe stops every later send', async () => {
    const lead = await h.startLead({ sequenceId: 'lead-magnet' });
    await until(
      () => emails(lead.effects()),
      (e) => e.length === 1,
    );
    await lead.handle.signal(eventSignal, await h.event('email_click'));
    await until(
      () => lead.handle.query(stateQuery),
      (s) => s.sequence?.step === 'gap-1' || emails(lead.effects()).length === 2,
    );
    await lead.handle.signal(unsubscribeSignal, { reason: 'test' });
    await h.env.sleep('30d');
    const s = await lead.handle.query(stateQuery);
    expect(s.unsubscribed).toBe(true);
    expect(emails(lead.effects()).length).toBeLessThanOrEqual(2);
  });

  it('erase removes personal data and ends the journey', async () => {
    const lead = await h.startLead({ sequenceId: 'lead-magnet' });
    await lead.handle.signal(eventSignal, await h.event('demo_request'));
    await until(
      () => lead.handle.query(stateQuery),
      (s) => s.handoff !== undefined,
    );
    await lead.handle.signal(eraseSignal);
    const result = await lead.handle.result();
    expect(result.timeline).toEqual([]);
    expect(lead.effects('erase')).toHaveLength(1);
    const handoffId = (
      await until(
        () => lead.effects('handoff'),
        (e) => e.length >= 1,
      )
    )[0]?.detail.split(' ')[0];
    const child = h.env.client.workflow.getHandle(`handoff-${handoffId}`);
    expect((await child.result()).outcome).toBe('cancelled');
  });

  it('continues as new under thousands of signals with its state intact', async () => {
    const seq = defineSequence({ id: 'long', version: 1, name: 'long', steps: [wait('300d')] });
    const lead = await h.startLead({ sequence: seq, extra: { historyLimit: 600 } });
    const firstRun = (await lead.handle.describe()).runId;
    const base = await h.env.currentTimeMs();
    const N = 2000;
    for (let i = 0; i < N; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          lead.handle.signal(eventSignal, {
            id: `bulk-${i + j}`,
            type: 'page_view',
            occurredAt: base,
            properties: { path: `/blog/${i + j}` },
            scored: true,
          }),
        ),
      );
    }
    const state = await until(
      () => lead.handle.query(stateQuery),
      (s) => s.counters.events === N,
      60_000,
    );
    const desc = await lead.handle.describe();
    expect(desc.runId).not.toBe(firstRun); // continued as new at least once
    expect(state.counters.enrolments).toBe(1);
    expect(state.stage).toBe('lead'); // promoted by the first page view, kept across runs
    expect(state.sequence?.step).toBe('wait-1');
    expect(state.scores.engagement).toBeGreaterThan(0);
    // The wait's end survived the new run: it did not restart from zero.
    expect(state.sequence?.waitUntil).toBeLessThanOrEqual(base + 300 * DAY + 60_000);
  }, 120_000);
});
