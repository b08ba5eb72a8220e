// Sending through the real workflow, the real SMTP capture server, real PostgreSQL and the
// time-skipping Temporal server: idempotent sends across activity retries, deterministic
// Message-IDs, SMTP 4xx (retry, then delivery) and 5xx (bounce → suppression → no more mail).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageIdFor, SEND_LEASE_MS } from '../../activities/email.ts';
import { createActivities } from '../../activities/index.ts';
import { leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { eventually, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const mailTo = (email: string) => stack.mail.messages().filter((m) => m.to.includes(email));
const stateOf = (leadId: string) =>
  stack.env.client.workflow.getHandle(leadWorkflowId(leadId)).query(stateQuery);
const timelineHas = (leadId: string, kind: string, detail: string | RegExp) =>
  eventually(
    async () => {
      const s = await stateOf(leadId);
      return (
        s.timeline.some(
          (t) =>
            t.kind === kind &&
            (typeof detail === 'string' ? t.detail.includes(detail) : detail.test(t.detail)),
        ) && s
      );
    },
    30_000,
    `timeline ${kind} ${detail}`,
  );

describe('idempotent send', () => {
  it('an SMTP 4xx makes the activity retry; the retry delivers exactly one message with the row’s Message-ID', async () => {
    const email = 'retry@idem.test';
    const refused: string[] = [];
    stack.mail.setRejectRecipient((address) => {
      if (address !== email || refused.length > 0) return null;
      refused.push(address);
      return { code: 451, message: '4.7.1 greylisted, try again later' };
    });
    const res = await stack.post('/v1/events', {
      email,
      type: 'content_download',
      profile: { firstName: 'Rita' },
    });
    expect(res.status).toBe(202);
    const { leadId } = res.body;

    const received = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 40_000 });
    expect(refused).toEqual([email]); // the first attempt really was refused
    // The workflow saw one successful send (the activity result), after the retry.
    await timelineHas(leadId, 'sent', 'welcome');
    const rows = await stack.db.message.findMany({ where: { leadId } });
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row?.status).toBe('sent');
    expect(row?.attempts).toBeGreaterThanOrEqual(2);
    expect(row?.error).toBeNull();
    // Deterministic per row: derived from the send key, so every attempt carried the same id.
    expect(received.messageId).toBe(row?.smtpId);
    expect(row?.smtpId).toBe(messageIdFor(row?.sendKey as string, stack.deps.settings.mailFrom));
    expect(mailTo(email)).toHaveLength(1);
    stack.mail.setRejectRecipient(undefined);
  });

  it('calling sendEmail twice with one send key sends one message and returns the same result', async () => {
    const activities = createActivities(stack.deps);
    const lead = await stack.db.lead.create({ data: { email: 'twice@idem.test', firstName: 'Tom' } });
    const input = { leadId: lead.id, sendKey: `${lead.id}/direct#1:step-a`, template: 'welcome' };
    const first = await activities.sendEmail(input);
    const second = await activities.sendEmail(input);
    expect(first.status).toBe('sent');
    expect(second).toEqual(first);
    await eventually(async () => mailTo('twice@idem.test').length === 1, 10_000, 'the one message');
    expect(mailTo('twice@idem.test')[0]?.messageId).toBe((first as { messageId: string }).messageId);
    const row = await stack.db.message.findUniqueOrThrow({ where: { sendKey: input.sendKey } });
    expect(row.attempts).toBe(1);
    // Two attempts at the same moment: the lease lets one send; the other finds it sent or in progress.
    const race = { ...input, sendKey: `${lead.id}/direct#1:step-b` };
    const outcomes = await Promise.allSettled([activities.sendEmail(race), activities.sendEmail(race)]);
    const again = await activities.sendEmail(race);
    expect(again.status).toBe('sent');
    for (const o of outcomes) if (o.status === 'fulfilled') expect(o.value).toEqual(again);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would have arrived by now
    expect(mailTo('twice@idem.test')).toHaveLength(2);
  });

  it('a retry after a refused attempt reuses the same row and Message-ID', async () => {
    const activities = createActivities(stack.deps);
    const email = 'again@idem.test';
    const lead = await stack.db.lead.create({ data: { email } });
    const input = { leadId: lead.id, sendKey: `${lead.id}/direct#1:retry`, template: 'welcome' };
    stack.mail.setRejectRecipient((a) =>
      a === email ? { code: 421, message: '4.3.2 service not available' } : null,
    );
    await expect(activities.sendEmail(input)).rejects.toMatchObject({ responseCode: 421 });
    const afterFailure = await stack.db.message.findUniqueOrThrow({ where: { sendKey: input.sendKey } });
    expect(afterFailure).toMatchObject({ status: 'claimed', attempts: 1, sentAt: null });
    expect(afterFailure.error).toContain('421');
    stack.mail.setRejectRecipient(undefined);
    const ok = await activities.sendEmail(input);
    expect(ok).toEqual({ status: 'sent', messageId: afterFailure.smtpId });
    const [mail] = await eventually(
      async () => mailTo(email).length === 1 && mailTo(email),
      10_000,
      'the message',
    );
    expect(mail?.messageId).toBe(afterFailure.smtpId);
    expect(await stack.db.message.findUniqueOrThrow({ where: { sendKey: input.sendKey } })).toMatchObject({
      id: afterFailure.id,
      status: 'sent',
      attempts: 2,
    });
  });

  it('an attempt that finds another one sending does not send; a dead attempt’s lease is taken over', async () => {
    const activities = createActivities(stack.deps);
    const email = 'lease@idem.test';
    const lead = await stack.db.lead.create({ data: { email } });
    const input = { leadId: lead.id, sendKey: `${lead.id}/direct#1:lease`, template: 'welcome' };
    // Another attempt holds the lease (as if it were mid-SMTP right now).
    await stack.db.message.create({
      data: {
        leadId: lead.id,
        sendKey: input.sendKey,
        template: 'welcome',
        smtpId: messageIdFor(input.sendKey, stack.deps.settings.mailFrom),
        status: 'sending',
        sentAt: new Date(),
        attempts: 1,
      },
    });
    await expect(activities.sendEmail(input)).rejects.toThrow(/in progress/);
    expect(mailTo(email)).toHaveLength(0);
    // That attempt died long ago: its lease has run out, this one sends.
    await stack.db.message.update({
      where: { sendKey: input.sendKey },
      data: { sentAt: new Date(Date.now() - SEND_LEASE_MS - 1000) },
    });
    expect((await activities.sendEmail(input)).status).toBe('sent');
    await eventually(async () => mailTo(email).length === 1, 10_000, 'the message');
    expect(await stack.db.message.findUniqueOrThrow({ where: { sendKey: input.sendKey } })).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
  });
});

describe('hard bounce', () => {
  it('SMTP 5xx on the recipient: bounced, suppressed, scored as a bounce, and no further sends', async () => {
    const email = 'nobody@bounce.test';
    stack.mail.setRejectRecipient((a) =>
      a === email ? { code: 550, message: '5.1.1 no such user here' } : null,
    );
    const res = await stack.post('/v1/events', {
      email,
      type: 'content_download',
      profile: {
        firstName: 'Nora',
        company: 'Bounce Co',
        title: 'VP Sales',
        seniority: 'vp',
        companySize: 200,
      },
    });
    const { leadId } = res.body;

    const message = await eventually(
      () => stack.db.message.findFirst({ where: { leadId, status: 'bounced' } }),
      30_000,
      'bounced message',
    );
    expect(message.template).toBe('welcome');
    expect(message.error).toMatch(/^smtp 550/);
    expect(message.sentAt).toBeNull();
    const suppression = await stack.db.suppression.findUnique({ where: { email } });
    expect(suppression?.reason).toBe('hard_bounce');
    const logged = await stack.db.engagementEvent.findMany({ where: { leadId, type: 'bounce' } });
    expect(logged).toHaveLength(1);

    // The bounce reached the workflow: scored (fit penalty), and the sequence stopped.
    const state = await timelineHas(leadId, 'event', 'bounce');
    expect(state.unsubscribed).toBe(true);
    expect(state.sequence).toBeUndefined();
    expect(state.timeline.some((t) => t.kind === 'suppressed' && t.detail.includes('smtp 550'))).toBe(true);
    expect(state.timeline.some((t) => t.kind === 'exited' && t.detail.includes('bounce'))).toBe(true);
    expect(state.explanation.join('\n')).toMatch(/Email bounced -10/);

    // Weeks pass (skipped): the lead-magnet and nurture sends would all have fallen due by now.
    stack.mail.setRejectRecipient(undefined); // even an address that would now accept gets nothing
    await stack.env.sleep('40 days');
    const after = await stateOf(leadId);
    expect(after.sequence).toBeUndefined();
    expect(mailTo(email)).toHaveLength(0);
    const rows = await stack.db.message.findMany({ where: { leadId } });
    expect(rows.map((r) => r.status)).toEqual(['bounced']);
    // And a send attempted directly is refused by the suppression row.
    const activities = createActivities(stack.deps);
    expect(
      await activities.sendEmail({ leadId, sendKey: `${leadId}/direct:after-bounce`, template: 'welcome' }),
    ).toEqual({ status: 'suppressed', reason: 'hard_bounce' });
  });
});
