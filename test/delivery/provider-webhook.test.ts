// Bounce and complaint intake (POST /v1/providers/email-events): HMAC signature over the raw body
// with replay protection; bad requests get 401/400 in the stable error shape and touch nothing;
// valid events suppress the address, mark the message and reach the lead's workflow (rescored,
// journey stopped).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/server.ts';
import { signWebhook } from '../../security/tokens.ts';
import { leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { eventually, PROVIDER_SECRET, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const PATH = '/v1/providers/email-events';
const mailTo = (email: string) => stack.mail.messages().filter((m) => m.to.includes(email));
const stateOf = (leadId: string) =>
  stack.env.client.workflow.getHandle(leadWorkflowId(leadId)).query(stateQuery);

/** POSTs `body` (object or raw string) signed as a provider would, unless told otherwise. */
async function postEvents(
  body: unknown,
  opts: { secret?: string; timestamp?: number; signature?: string | null; contentType?: string } = {},
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature =
    opts.signature === undefined
      ? signWebhook(raw, opts.secret ?? PROVIDER_SECRET, opts.timestamp ?? Date.now())
      : opts.signature;
  const res = await fetch(`${stack.url}${PATH}`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      ...(signature === null ? {} : { 'x-nurture-signature': signature }),
    },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function leadWithWelcome(email: string) {
  const res = await stack.post('/v1/events', {
    email,
    type: 'content_download',
    profile: {
      firstName: 'Pat',
      company: 'Provider Co',
      title: 'CTO',
      seniority: 'c_level',
      companySize: 300,
    },
  });
  const mail = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
  const { leadId } = res.body;
  await eventually(
    async () => (await stateOf(leadId)).sequence?.step === 'first-engagement',
    30_000,
    'first-engagement wait',
  );
  return { leadId: leadId as string, messageId: mail.messageId as string };
}

describe('provider webhook: refused requests touch nothing', () => {
  it('missing, forged, stale or tampered signatures get 401 with the stable error shape', async () => {
    const email = 'victim@provider.test';
    const { leadId } = await leadWithWelcome(email);
    const body = { events: [{ type: 'complaint', email }] };
    const raw = JSON.stringify(body);
    const eventsBefore = await stack.db.engagementEvent.count();
    const stateBefore = await stateOf(leadId);
    const history = async () =>
      (await stack.env.client.workflow.getHandle(leadWorkflowId(leadId)).fetchHistory()).events?.length;
    const historyBefore = await history();

    const cases = {
      missing: await postEvents(body, { signature: null }),
      malformed: await postEvents(body, { signature: 'sha256=deadbeef' }),
      wrongSecret: await postEvents(body, { secret: 'someone-elses-secret-0123456789' }),
      stale: await postEvents(body, { timestamp: Date.now() - 10 * 60_000 }),
      future: await postEvents(body, { timestamp: Date.now() + 10 * 60_000 }),
      // Signed for one body, sent with another (the address swapped in transit).
      tampered: await (async () => {
        const signature = signWebhook(raw, PROVIDER_SECRET, Date.now());
        return postEvents(raw.replace(email, 'other@provider.test'), { signature });
      })(),
      // Signed over the JSON re-serialised differently: the bytes are what count.
      reformatted: await postEvents(JSON.stringify(body, null, 2), {
        signature: signWebhook(raw, PROVIDER_SECRET, Date.now()),
      }),
    };
    for (const [name, res] of Object.entries(cases)) {
      expect(res.status, name).toBe(401);
      expect(res.body.error, name).toBe('unauthorized');
      expect(res.body.issues, name).toEqual([
        { field: 'header.x-nurture-signature', message: expect.any(String) },
      ]);
    }
    expect(cases.stale.body.issues[0].message).toMatch(/tolerance/);

    expect(await stack.db.suppression.count()).toBe(0);
    expect(await stack.db.engagementEvent.count()).toBe(eventsBefore);
    expect(await history()).toBe(historyBefore);
    expect(await stateOf(leadId)).toEqual(stateBefore);
  });

  it('a signed but invalid body gets 400 naming the field; not JSON gets 400 too', async () => {
    const badType = await postEvents({ events: [{ type: 'opened', email: 'a@provider.test' }] });
    expect(badType.status).toBe(400);
    expect(badType.body.error).toBe('invalid_request');
    expect(badType.body.issues.map((i: { field: string }) => i.field)).toContain('body.events[0].type');
    const badEmail = await postEvents({ events: [{ type: 'bounce', email: 'nope' }] });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.issues.map((i: { field: string }) => i.field)).toContain('body.events[0].email');
    const empty = await postEvents({ events: [] });
    expect(empty.status).toBe(400);
    const notJson = await postEvents('{"events": [');
    expect(notJson.status).toBe(400);
    expect(notJson.body.issues[0].field).toBe('body');
    const nul = await postEvents({
      events: [{ type: 'bounce', email: 'a@provider.test', reason: 'bad\u0000byte' }],
    });
    expect(nul.status).toBe(400);
    expect(nul.body.issues[0].field).toBe('body.events[0].reason');
    expect(await stack.db.suppression.count()).toBe(0);
  });

  it('answers 503 when no provider secret is configured, and accepts any secret of a rotation list', async () => {
    const raw = JSON.stringify({ events: [{ type: 'bounce', email: 'nope' }] }); // invalid: passes the signature, stops at validation
    const headers = {
      'content-type': 'application/json',
      'x-nurture-signature': signWebhook(raw, PROVIDER_SECRET, Date.now()),
    };
    const unconfigured = await buildApi(
      { ...stack.ctx, providerSecret: undefined },
      { logLevel: 'silent', rateLimit: false },
    );
    const rotated = await buildApi(
      { ...stack.ctx, providerSecret: ['the-new-secret-0123456789abcdef', PROVIDER_SECRET] },
      { logLevel: 'silent', rateLimit: false },
    );
    try {
      const off = await unconfigured.inject({ method: 'POST', url: PATH, headers, payload: raw });
      expect(off.statusCode).toBe(503);
      expect(off.json()).toEqual({
        error: 'not_configured',
        issues: [{ field: 'server', message: expect.any(String) }],
      });
      const old = await rotated.inject({ method: 'POST', url: PATH, headers, payload: raw });
      expect(old.statusCode).toBe(400); // signature accepted with the previous secret
      expect(old.json().issues[0].field).toBe('body.events[0].email');
    } finally {
      await unconfigured.close();
      await rotated.close();
    }
  });

  it('leaves the JSON routes of the rest of the API as they were', async () => {
    const res = await stack.post('/v1/events', { email: 'normal@provider.test', type: 'page_view' });
    expect(res.status).toBe(202);
    const notJson = await stack.post('/v1/events', '{"email": ');
    expect(notJson.status).toBe(400);
  });
});

describe('provider webhook: bounces and complaints', () => {
  it('a complaint suppresses the address, reaches the workflow (rescored) and stops the journey', async () => {
    const email = 'complainer@provider.test';
    const { leadId, messageId } = await leadWithWelcome(email);
    const before = await stateOf(leadId);

    const res = await postEvents({
      events: [
        {
          id: 'evt-1',
          type: 'complaint',
          email: 'Complainer@Provider.test',
          messageId,
          reason: 'abuse report',
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: 1, results: [{ index: 0, status: 'applied', leadId }] });
    // Suppressed before the answer.
    expect(await stack.db.suppression.findUnique({ where: { email } })).toMatchObject({
      reason: 'complaint',
    });
    const row = await stack.db.engagementEvent.findFirstOrThrow({ where: { leadId, type: 'complaint' } });
    expect(row.properties).toMatchObject({
      source: 'provider',
      reason: 'abuse report',
      template: 'welcome',
      messageId,
    });
    expect(row.deliveredAt).not.toBeNull();

    const after = await eventually(async () => {
      const s = await stateOf(leadId);
      return s.timeline.some((t) => t.kind === 'event' && t.detail === 'complaint') && s;
    });
    expect(after.unsubscribed).toBe(true);
    expect(after.sequence).toBeUndefined();
    expect(after.scores.engagement).toBeLessThan(before.scores.engagement);
    expect(after.explanation.join('\n')).toMatch(/Spam complaint -30/);

    // Replayed within the tolerance window (same event id): acknowledged, not applied twice.
    const replay = await postEvents({ events: [{ id: 'evt-1', type: 'complaint', email, messageId }] });
    expect(replay.body.results).toEqual([{ index: 0, status: 'duplicate', leadId }]);
    expect(await stack.db.engagementEvent.count({ where: { leadId, type: 'complaint' } })).toBe(1);

    // Nothing more is sent: skip past every lead-magnet and nurture send.
    await stack.env.sleep('40 days');
    expect(mailTo(email)).toHaveLength(1);
    expect(await stack.db.message.count({ where: { leadId } })).toBe(1);
  });

  it('a bounce marks the message bounced and scores the lead; unknown addresses are suppressed anyway', async () => {
    const email = 'gone@provider.test';
    const { leadId, messageId } = await leadWithWelcome(email);
    const bare = messageId.replace(/^<|>$/g, ''); // providers often drop the angle brackets
    const res = await postEvents({
      events: [
        {
          type: 'bounce',
          email,
          messageId: bare,
          occurredAt: new Date().toISOString(),
          reason: '550 5.1.1 mailbox unavailable',
        },
        { type: 'bounce', email: 'stranger@provider.test' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { index: 0, status: 'applied', leadId },
      { index: 1, status: 'suppressed_only' },
    ]);
    expect(await stack.db.suppression.findUnique({ where: { email } })).toMatchObject({
      reason: 'hard_bounce',
    });
    expect(
      await stack.db.suppression.findUnique({ where: { email: 'stranger@provider.test' } }),
    ).toMatchObject({ reason: 'hard_bounce' });
    const message = await stack.db.message.findFirstOrThrow({ where: { leadId } });
    expect(message.status).toBe('bounced');
    expect(message.error).toContain('5.1.1');
    const state = await eventually(async () => {
      const s = await stateOf(leadId);
      return s.timeline.some((t) => t.kind === 'event' && t.detail === 'bounce') && s;
    });
    expect(state.unsubscribed).toBe(true);
    expect(state.explanation.join('\n')).toMatch(/Email bounced -10/);
    // Without an id, the same bounce (type, address, message) sent again is a duplicate.
    const again = await postEvents({ events: [{ type: 'bounce', email, messageId: bare }] });
    expect(again.body.results[0].status).toBe('duplicate');
  });

  it('an email to the List-Unsubscribe mailto address, relayed as `unsubscribe`, stops the journey', async () => {
    const email = 'mailto.leaver@provider.test';
    const { leadId } = await leadWithWelcome(email);
    const header = (mailTo(email)[0]?.headers['list-unsubscribe'] ?? '') as string;
    expect(header).toContain('<mailto:unsubscribe@acme.test?subject=unsubscribe>');
    // The relay reports the sender of that email.
    const res = await postEvents({
      events: [{ id: 'inbound-1', type: 'unsubscribe', email: 'Mailto.Leaver@provider.test' }],
    });
    expect(res.body).toEqual({ received: 1, results: [{ index: 0, status: 'applied', leadId }] });
    expect(await stack.db.suppression.findUnique({ where: { email } })).toMatchObject({
      reason: 'unsubscribed',
    });
    const state = await eventually(async () => {
      const s = await stateOf(leadId);
      return s.timeline.some((t) => t.kind === 'event' && t.detail === 'unsubscribe') && s;
    });
    expect(state.unsubscribed).toBe(true);
    expect(state.sequence).toBeUndefined();
    await stack.env.sleep('40 days');
    expect(mailTo(email)).toHaveLength(1);
  });
});
