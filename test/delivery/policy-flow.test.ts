// Quiet hours and the frequency cap through the real workflow and send activity, on the
// time-skipping server: a send that is not allowed yet is deferred (recorded on the timeline), not
// dropped, and goes out once the quiet period / cap window allows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryPolicy } from '../../domain/delivery/policy.ts';
import { leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { eventually, type Stack, startStack } from '../support/stack.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Quiet hours covering the current UTC hour and the next (at least an hour ahead of the test);
// leads in UTC are held, leads without a time zone are not. At most one marketing email a week.
const hourNow = new Date().getUTCHours();
const policy: DeliveryPolicy = {
  quietHours: { start: hourNow, end: (hourNow + 2) % 24 },
  frequencyCap: { max: 1, windowMs: 7 * DAY },
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ policy });
});
afterAll(async () => {
  await stack?.stop();
});

const mailTo = (email: string) => stack.mail.messages().filter((m) => m.to.includes(email));
const stateOf = (leadId: string) =>
  stack.env.client.workflow.getHandle(leadWorkflowId(leadId)).query(stateQuery);
const deferral = (leadId: string, template: string) =>
  eventually(
    async () =>
      (await stateOf(leadId)).timeline.find((t) => t.kind === 'deferred' && t.detail.startsWith(template)),
    30_000,
    `${template} deferred`,
  );
const retryAtOf = (detail: string) => Date.parse(/until (\S+)/.exec(detail)?.[1] ?? '');

describe('delivery policy in the journey', () => {
  it('quiet hours: the welcome email waits for the end of the lead’s quiet hours, then goes out', async () => {
    const email = 'night-owl@quiet.test';
    const startedAt = await stack.env.currentTimeMs();
    const res = await stack.post('/v1/events', {
      email,
      type: 'content_download',
      profile: { firstName: 'Olive', timezone: 'UTC' },
    });
    const { leadId } = res.body;

    const deferred = await deferral(leadId, 'welcome');
    expect(deferred.detail).toContain('quiet_hours');
    const retryAt = retryAtOf(deferred.detail);
    // The end of quiet hours, in the lead's zone: the next (hourNow + 2):00 UTC.
    expect(new Date(retryAt).getUTCHours()).toBe(policy.quietHours?.end);
    expect(new Date(retryAt).getUTCMinutes()).toBe(0);
    expect(retryAt).toBeGreaterThan(startedAt);
    expect(retryAt - startedAt).toBeLessThanOrEqual(2 * HOUR);
    expect((await stateOf(leadId)).sequence?.waitUntil).toBe(retryAt);
    // Deferred, not sent, not dropped: no message row was even claimed.
    expect(mailTo(email)).toHaveLength(0);
    expect(await stack.db.message.count({ where: { leadId } })).toBe(0);

    await stack.env.sleep(2 * HOUR + 60_000); // past the quiet hours (skipped, not slept)

    const mail = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
    expect(mail.subject).toBeTruthy();
    const row = await eventually(
      () => stack.db.message.findFirst({ where: { leadId, status: 'sent' } }),
      10_000,
      'sent row',
    );
    // Sent on the server's clock at (or just after) the end of quiet hours.
    expect(row.sentAt?.getTime()).toBeGreaterThanOrEqual(retryAt);
    expect(row.sentAt?.getTime()).toBeLessThan(retryAt + HOUR);
    const timeline = (await stateOf(leadId)).timeline.map((t) => `${t.kind}:${t.detail.split(' ')[0]}`);
    expect(timeline.indexOf('deferred:welcome')).toBeLessThan(timeline.indexOf('sent:welcome'));
  });

  it('frequency cap: a second email within the window waits until the first leaves it', async () => {
    const email = 'busy@cap.test'; // no time zone: quiet hours do not hold this lead
    const res = await stack.post('/v1/events', {
      email,
      type: 'content_download',
      profile: { firstName: 'Cap' },
    });
    const { leadId } = res.body;
    await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
    const welcome = await eventually(
      () => stack.db.message.findFirst({ where: { leadId, status: 'sent' } }),
      10_000,
      'welcome row',
    );

    // Engagement moves the lead-magnet on to its first follow-up at once: over the cap (1 per 7 days).
    await stack.post('/v1/events', { email, type: 'page_view', properties: { url: '/blog' } });
    const deferred = await deferral(leadId, 'ebook-followup-1');
    expect(deferred.detail).toContain('frequency_cap');
    const retryAt = retryAtOf(deferred.detail);
    expect(retryAt).toBe((welcome.sentAt as Date).getTime() + 7 * DAY);
    expect(mailTo(email)).toHaveLength(1);

    await stack.env.sleep(3 * DAY); // still inside the window: nothing yet
    expect(mailTo(email)).toHaveLength(1);
    expect((await stateOf(leadId)).sequence?.step).toBe('followup-1');

    await stack.env.sleep(4 * DAY + HOUR); // the welcome has left the window
    const followup = await stack.mail.waitFor(
      (m) => m.to.includes(email) && m.messageId !== mailTo(email)[0]?.messageId,
      { timeoutMs: 30_000 },
    );
    expect(followup.subject).not.toBe(mailTo(email)[0]?.subject);
    const row = await eventually(
      () => stack.db.message.findFirst({ where: { leadId, template: 'ebook-followup-1', status: 'sent' } }),
      10_000,
      'follow-up row',
    );
    expect(row.sentAt?.getTime()).toBeGreaterThanOrEqual(retryAt);
  });
});
