// The walking skeleton end to end, on real Temporal (time-skipping server), real PostgreSQL and a
// real SMTP server: HTTP event → welcome email → hand-raiser → sales email + MQL recorded; and the
// silent path → nurture recorded after the 7-day wait (skipped, not slept).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { historyText } from '../support/history.ts';
import { eventually, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const leadByEmail = (email: string) => stack.db.lead.findUnique({ where: { email } });

describe('walking skeleton', () => {
  it('refuses bad input with a 4xx naming the field, and starts nothing', async () => {
    const before = await stack.db.lead.count();
    const noKey = await stack.post('/v1/events', { email: 'x@corp.test', type: 'page_view' }, null);
    expect(noKey.status).toBe(401);
    expect(noKey.body.issues[0].field).toBe('header.x-api-key');

    const badEmail = await stack.post('/v1/events', { email: 'not-an-email', type: 'page_view' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.issues.map((i: { field: string }) => i.field)).toContain('body.email');

    const badType = await stack.post('/v1/events', { email: 'y@corp.test', type: 'teleport' });
    expect(badType.status).toBe(400);
    expect(badType.body.issues.map((i: { field: string }) => i.field)).toContain('body.type');

    const notJson = await stack.post('/v1/events', '{"email": ');
    expect(notJson.status).toBe(400);

    const readOnly = await stack.post(
      '/v1/events',
      { email: 'z@corp.test', type: 'page_view' },
      stack.readKey,
    );
    expect(readOnly.status).toBe(403);

    expect(await stack.db.lead.count()).toBe(before);
  });

  it('event → welcome email → demo request → sales email and MQL handoff recorded', async () => {
    const email = 'ada@analytical.test';
    const res = await stack.post('/v1/events', {
      email: 'Ada@Analytical.test ',
      type: 'content_download',
      profile: {
        firstName: 'Ada',
        company: 'Analytical Engines',
        title: 'VP Engineering',
        seniority: 'vp',
        companySize: 250,
      },
      properties: { asset: 'ebook' },
    });
    expect(res.status).toBe(202);
    const accepted = res.body;
    expect(accepted.delivered).toBe(true);

    const welcome = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 20_000 });
    expect(welcome.subject).toBeTruthy();
    expect(welcome.html).toContain('Ada');
    expect(welcome.text).toBeTruthy();
    expect(welcome.headers['list-unsubscribe']).toContain('/u/');
    expect(welcome.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');

    const lead = await leadByEmail(email);
    expect(lead?.id).toBe(accepted.leadId);
    // The workflow id names the internal lead id, never the address.
    const handle = stack.env.client.workflow.getHandle(leadWorkflowId(accepted.leadId));
    expect(handle.workflowId).toBe(`lead-${accepted.leadId}`);
    expect(handle.workflowId).not.toContain(email);
    expect(handle.workflowId).not.toContain('analytical');
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const demo = await stack.post('/v1/events', {
      email,
      type: 'demo_request',
      properties: { form: 'demo' },
    });
    expect(demo.status).toBe(202);

    const salesMail = await stack.mail.waitFor((m) => m.to.includes('rep@sales.test'), { timeoutMs: 20_000 });
    expect(salesMail.html).toContain('Analytical Engines');
    expect(salesMail.html).toMatch(/\/v1\/feedback\//);

    const transition = await eventually(
      () => stack.db.stageTransition.findFirst({ where: { leadId: accepted.leadId, toStage: 'mql' } }),
      20_000,
      'mql transition',
    );
    expect(transition.reason).toBe('hand_raiser');
    expect(transition.fromStage).toBe('lead');
    const handoff = await eventually(
      () => stack.db.handoff.findFirst({ where: { leadId: accepted.leadId } }),
      10_000,
      'handoff row',
    );
    expect(handoff.owner).toBe('rep@sales.test');
    expect(handoff.status).toBe('pending');
    expect((await leadByEmail(email))?.stage).toBe('mql');
    const state = await handle.query(stateQuery);
    expect(state.stage).toBe('mql');
    expect(state.handoff?.id).toBe(handoff.id);

    const events = await stack.db.engagementEvent.findMany({ where: { leadId: accepted.leadId } });
    expect(events.map((e) => e.type).sort()).toEqual(['content_download', 'demo_request']);
    const messages = await stack.db.message.findMany({ where: { leadId: accepted.leadId, status: 'sent' } });
    expect(messages.map((m) => m.template).sort()).toEqual(['sales-handoff', 'welcome']);
  });

  it('a silent lead returns to nurture after the wait, recorded with a reason', async () => {
    const email = 'quiet@silent.test';
    const res = await stack.post('/v1/events', {
      email,
      type: 'content_download',
      profile: { firstName: 'Quinn' },
    });
    const { leadId } = res.body;
    await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 20_000 });

    await stack.env.sleep('8 days'); // time skipping: the 7-day waitFor times out in milliseconds

    const transition = await eventually(
      () => stack.db.stageTransition.findFirst({ where: { leadId, toStage: 'nurture' } }),
      20_000,
      'nurture transition',
    );
    expect(transition.fromStage).toBe('lead');
    expect(transition.reason).toBe('no_engagement');
    const state = await stack.env.client.workflow.getHandle(leadWorkflowId(leadId)).query(stateQuery);
    expect(state.stage).toBe('nurture');
    expect(state.sequence?.id).toBe('long-cycle-nurture');
  });

  it('an address the scoring model lists (spam trap) is disqualified by that rule; other addresses never reach the journey', async () => {
    const trap = await stack.post('/v1/events', { email: 'Trap@SpamTrap.example', type: 'demo_request' });
    const normal = await stack.post('/v1/events', { email: 'real.person@corp.test', type: 'page_view' });
    const handle = (leadId: string) => stack.env.client.workflow.getHandle(leadWorkflowId(leadId));
    const state = await eventually(async () => {
      const s = await handle(trap.body.leadId).query(stateQuery);
      return s.stage === 'disqualified' && s;
    });
    expect(state.explanation.join('\n')).toMatch(/spam trap address/i);
    expect(await stack.db.handoff.count({ where: { leadId: trap.body.leadId } })).toBe(0);
    await eventually(async () => (await handle(normal.body.leadId).query(stateQuery)).counters.events > 0);
    const history = historyText(await handle(normal.body.leadId).fetchHistory());
    expect(history).toContain('corp.test');
    expect(history).not.toContain('real.person');
  });
});
