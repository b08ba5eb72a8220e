// Unsubscribing, end to end: both headers on every marketing email (RFC 2369 List-Unsubscribe with
// an https link and a mailto, RFC 8058 List-Unsubscribe-Post), a confirmation page on GET, and a
// one-click POST that writes the suppression row before answering and stops the journey: the next
// scheduled send never happens (time skipped past it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const DAY = 86_400_000;
const mailTo = (email: string) => stack.mail.messages().filter((m) => m.to.includes(email));
const stateOf = (leadId: string) =>
  stack.env.client.workflow.getHandle(leadWorkflowId(leadId)).query(stateQuery);
const LIST_UNSUBSCRIBE = /^<(https?:\/\/[^>]+\/u\/[A-Za-z0-9_.-]+)>, <(mailto:[^>]+)>$/;
/** What a mail client sends for RFC 8058 one-click unsubscribe. */
const oneClick = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });

describe('unsubscribe', () => {
  it('every marketing email carries List-Unsubscribe (link + mailto) and List-Unsubscribe-Post', async () => {
    const email = 'headers@unsub.test';
    await stack.post('/v1/events', { email, type: 'content_download' });
    const mail = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
    const header = mail.headers['list-unsubscribe'] ?? '';
    const [, link, mailto] = LIST_UNSUBSCRIBE.exec(header) ?? [];
    expect(link?.startsWith(`${stack.deps.settings.publicBaseUrl}/u/`)).toBe(true); // https in production (PUBLIC_BASE_URL)
    expect(mailto).toBe('mailto:unsubscribe@acme.test?subject=unsubscribe');
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    // The same link is in the footer of the body, untouched by click tracking.
    expect(mail.html).toContain(link);
    expect(mail.text).toContain(link);
  });

  it('one-click unsubscribe during the lead-magnet wait: suppressed at once, and the next send never happens', async () => {
    const email = 'leaver@unsub.test';
    const { leadId } = (
      await stack.post('/v1/events', { email, type: 'content_download', profile: { firstName: 'Lee' } })
    ).body;
    await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
    // Engagement: the first follow-up goes out, then the sequence waits three days before the next.
    await stack.post('/v1/events', { email, type: 'page_view', properties: { url: '/pricing' } });
    const followup = await stack.mail.waitFor((m) => m.to.includes(email) && mailTo(email).indexOf(m) === 1, {
      timeoutMs: 30_000,
    });
    await eventually(async () => (await stateOf(leadId)).sequence?.step === 'gap-1', 30_000, 'gap-1 wait');
    const link = LIST_UNSUBSCRIBE.exec(followup.headers['list-unsubscribe'] ?? '')?.[1] as string;

    // GET only shows the confirmation page (mail scanners follow links; they must not unsubscribe anyone).
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post">');
    expect(html).toContain('id="confirm"');
    expect(await stack.db.suppression.findUnique({ where: { email } })).toBeNull();

    const res = await oneClick(link);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You will not receive further emails from us.');
    // Written before the answer: no polling needed.
    expect(await stack.db.suppression.findUnique({ where: { email } })).toMatchObject({
      reason: 'unsubscribed',
    });
    const event = await stack.db.engagementEvent.findFirstOrThrow({ where: { leadId, type: 'unsubscribe' } });
    expect(event.deliveredAt).not.toBeNull(); // the workflow was signalled before the answer too

    const state = await eventually(async () => {
      const s = await stateOf(leadId);
      return s.unsubscribed && s;
    });
    expect(state.sequence).toBeUndefined();
    expect(state.timeline.some((t) => t.kind === 'exited' && t.detail.includes('unsubscribe'))).toBe(true);
    expect(state.explanation.join('\n')).toMatch(/Unsubscribed -15/);

    // A client retrying the POST changes nothing.
    expect((await oneClick(link)).status).toBe(200);
    expect(await stack.db.engagementEvent.count({ where: { leadId, type: 'unsubscribe' } })).toBe(1);

    // Skip past follow-up 2 (due 3 days after follow-up 1), follow-up 3 and the webinar invite.
    await stack.env.sleep(15 * DAY);
    expect(mailTo(email)).toHaveLength(2);
    const rows = await stack.db.message.findMany({ where: { leadId }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((r) => [r.template, r.status])).toEqual([
      ['welcome', 'sent'],
      ['ebook-followup-1', 'sent'],
    ]);
    const after = await stateOf(leadId);
    expect(after.sequence).toBeUndefined();
    expect(after.timeline.filter((t) => t.kind === 'sent').map((t) => t.detail)).toEqual([
      'welcome',
      'ebook-followup-1',
    ]);
    // Even a send that slipped past the workflow would be stopped by the suppression row.
    const activities = createActivities(stack.deps);
    expect(
      await activities.sendEmail({
        leadId,
        sendKey: `${leadId}/late:followup-2`,
        template: 'ebook-followup-2',
      }),
    ).toEqual({
      status: 'suppressed',
      reason: 'unsubscribed',
    });
  });

  it('accepts the one-click POST as multipart/form-data too (RFC 8058 allows both)', async () => {
    const email = 'multipart@unsub.test';
    await stack.post('/v1/events', { email, type: 'content_download' });
    const mail = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
    const link = LIST_UNSUBSCRIBE.exec(mail.headers['list-unsubscribe'] ?? '')?.[1] as string;
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const res = await fetch(link, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(await stack.db.suppression.findUnique({ where: { email } })).toMatchObject({
      reason: 'unsubscribed',
    });
  });
});
