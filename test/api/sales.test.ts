// Sales feedback and outgoing webhooks on real Temporal (time-skipping server), PostgreSQL and SMTP:
// accept / reject through the API (409 naming the field when the journey refuses), the signed
// one-click links of the handoff email (work once, forged ones fail), and the signed handoff webhook
// retried by Temporal after a 500, with its delivery log.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../security/tokens.ts';
import { handoffWorkflowId, leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { eventually, type Stack, startStack, WEBHOOK_SECRET } from '../support/stack.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  at: number;
}

/** A webhook receiver: answers 500 to the first delivery of each `lead.handoff` event, 200 otherwise (410 while `gone`). */
async function startReceiver() {
  const received: Received[] = [];
  const failedOnce = new Set<string>();
  /** While `gone`, every delivery is refused for good (410). */
  const state = { gone: false };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const id = String(req.headers['x-nurture-event-id']);
      const fail = req.headers['x-nurture-event'] === 'lead.handoff' && !failedOnce.has(id);
      if (fail) failedOnce.add(id);
      const status = state.gone ? 410 : fail ? 500 : 200;
      received.push({ headers: req.headers, body, status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/nurture`,
    received,
    state,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let stack: Stack;
beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startStack({ salesWebhookUrl: receiver.url });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

/** A lead sent to sales by a demo request: returns its id, the handoff row and the sales email. */
async function handedOff(email: string) {
  const res = await stack.post('/v1/events', {
    email,
    type: 'demo_request',
    profile: {
      firstName: 'Sam',
      company: 'Handoff Inc',
      title: 'VP Sales',
      seniority: 'vp',
      companySize: 400,
    },
  });
  expect(res.status).toBe(202);
  const leadId: string = res.body.leadId;
  const handoff = await eventually(
    () => stack.db.handoff.findFirst({ where: { leadId } }),
    20_000,
    'handoff row',
  );
  const mail = await stack.mail.waitFor(
    (m) =>
      m.to.includes('rep@sales.test') &&
      feedbackLinks(m.html ?? '').some((l) => tokenOf(l).p.h === handoff.id),
    { timeoutMs: 20_000 },
  );
  return { leadId, handoff, links: feedbackLinks(mail.html ?? '') };
}

const feedbackLinks = (html: string) => [
  ...new Set(html.match(/https?:\/\/[^"'\s<>]+\/v1\/feedback\/[A-Za-z0-9_.-]+/g) ?? []),
];
const tokenOf = (link: string) =>
  JSON.parse(
    Buffer.from((link.split('/v1/feedback/')[1] as string).split('.')[0] as string, 'base64url').toString(),
  ) as { p: { f: string; l: string; h: string } };
const linkFor = (links: string[], kind: string) => links.find((l) => tokenOf(l).p.f === kind) as string;
const state = (leadId: string) =>
  stack.env.client.workflow.getHandle(leadWorkflowId(leadId)).query(stateQuery);

describe('sales feedback through the API', () => {
  it('accept moves the lead to sql; a refused answer is 409 naming the field', async () => {
    const { leadId, handoff } = await handedOff('accept@buyer.test');
    const early = await stack.post(`/v1/leads/${leadId}/feedback`, { kind: 'won', actor: 'rep-1' });
    expect(early.status).toBe(409);
    expect(early.body).toEqual({
      error: 'conflict',
      issues: [{ field: 'body.kind', message: "'won' is not possible while the lead is 'mql'" }],
    });

    const accepted = await stack.post(`/v1/leads/${leadId}/feedback`, {
      kind: 'accept',
      actor: 'rep-1',
      handoffId: handoff.id,
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual({ stage: 'sql' });
    expect((await state(leadId)).stage).toBe('sql');
    const transition = await eventually(
      () => stack.db.stageTransition.findFirst({ where: { leadId, toStage: 'sql' } }),
      10_000,
      'sql row',
    );
    expect(transition).toMatchObject({
      fromStage: 'mql',
      reason: 'sales_accepted',
      actor: 'sales_user:rep-1',
    });
    await eventually(
      async () => (await stack.db.handoff.findUnique({ where: { id: handoff.id } }))?.status === 'accepted',
      10_000,
      'handoff accepted',
    );

    const again = await stack.post(`/v1/leads/${leadId}/feedback`, { kind: 'accept', actor: 'rep-1' });
    expect(again.status).toBe(409);
    expect(again.body.issues[0].field).toBe('body.kind');
  });

  it('reject (with a reason) recycles the lead to nurture, enrolled in post-rejection', async () => {
    const { leadId } = await handedOff('reject@buyer.test');
    const noReason = await stack.post(`/v1/leads/${leadId}/feedback`, { kind: 'reject', actor: 'rep-2' });
    expect(noReason.status).toBe(409);
    expect(noReason.body.issues).toEqual([{ field: 'body.reason', message: 'required for reject and lost' }]);

    const rejected = await stack.post(`/v1/leads/${leadId}/feedback`, {
      kind: 'reject',
      actor: 'rep-2',
      reason: 'no budget this year',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.stage).toBe('nurture');
    const s = await state(leadId);
    expect(s.stage).toBe('nurture');
    expect(s.sequence?.id).toBe('post-rejection');
    const transition = await eventually(
      () => stack.db.stageTransition.findFirst({ where: { leadId, toStage: 'nurture' } }),
      10_000,
      'nurture row',
    );
    expect(transition).toMatchObject({ fromStage: 'mql', reason: 'sales_rejected' });
  });

  it('validates the body and the lead', async () => {
    const bad = await stack.post('/v1/leads/00000000-0000-4000-8000-000000000000/feedback', {
      kind: 'maybe',
      actor: '',
      extra: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { field: string }) => i.field).sort()).toEqual([
      'body.actor',
      'body.extra',
      'body.kind',
    ]);
    const unknown = await stack.post('/v1/leads/00000000-0000-4000-8000-000000000000/feedback', {
      kind: 'accept',
      actor: 'rep',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.issues[0].field).toBe('params.id');
  });
});

describe('one-click feedback links from the handoff email', () => {
  it('work once: the second click is refused as already answered; forged links fail', async () => {
    const { leadId, links } = await handedOff('links@buyer.test');
    expect(links.map((l) => tokenOf(l).p.f).sort()).toEqual(['accept', 'lost', 'reject', 'won']);
    const accept = linkFor(links, 'accept');
    const path = accept.replace(/^https?:\/\/[^/]+/, '');

    const first = await fetch(`${stack.url}${path}`);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('The lead is now sql');
    expect((await state(leadId)).stage).toBe('sql');

    const second = await fetch(`${stack.url}${path}`);
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('Already answered');

    // Forged: the payload changed (another verdict), the signature kept.
    const [body, sig] = (path.split('/v1/feedback/')[1] as string).split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    payload.p.f = 'won';
    const forgedBody = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const forged = await fetch(`${stack.url}/v1/feedback/${forgedBody}.${sig}`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('forged or expired');
    const garbage = await fetch(`${stack.url}/v1/feedback/not-a-token-at-all`);
    expect(garbage.status).toBe(400);
    expect((await state(leadId)).stage).toBe('sql');
  });
});

describe('outgoing webhooks', () => {
  it('signs the handoff webhook, retries after a 500, and logs both attempts', async () => {
    const { handoff } = await handedOff('hook@buyer.test');
    const eventKey = `lead.handoff:${handoff.id}`;
    const row = await eventually(
      async () => {
        const r = await stack.db.webhookDelivery.findUnique({ where: { eventKey } });
        return r?.status === 'delivered' ? r : undefined;
      },
      40_000,
      'webhook delivered after a retry',
    );
    expect(row).toMatchObject({
      event: 'lead.handoff',
      url: receiver.url,
      attempts: 2,
      lastStatusCode: 200,
      lastError: null,
    });
    expect(row.deliveredAt).toBeInstanceOf(Date);

    // The same row through the API (read key), filtered by status and event.
    const log = await fetch(`${stack.url}/v1/webhooks/deliveries?status=delivered&event=lead.handoff`, {
      headers: { 'x-api-key': stack.readKey },
    });
    expect(log.status).toBe(200);
    const { deliveries } = (await log.json()) as { deliveries: Array<Record<string, unknown>> };
    expect(deliveries.find((d) => d.id === row.id)).toMatchObject({
      attempts: 2,
      lastStatusCode: 200,
      status: 'delivered',
    });
    expect(deliveries.every((d) => d.status === 'delivered' && d.event === 'lead.handoff')).toBe(true);
    const badQuery = await fetch(`${stack.url}/v1/webhooks/deliveries?status=lost&limit=0`, {
      headers: { 'x-api-key': stack.readKey },
    });
    expect(badQuery.status).toBe(400);
    expect(
      ((await badQuery.json()) as { issues: { field: string }[] }).issues.map((i) => i.field).sort(),
    ).toEqual(['querystring.limit', 'querystring.status']);

    const calls = receiver.received.filter((r) => r.headers['x-nurture-event-id'] === row.id);
    expect(calls.map((c) => c.status)).toEqual([500, 200]);
    for (const call of calls) {
      const signature = call.headers['x-nurture-signature'] as string;
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(() => verifyWebhook(call.body, signature, WEBHOOK_SECRET)).not.toThrow();
      expect(() => verifyWebhook(call.body, signature, 'another-secret-0123456789')).toThrow();
      expect(() =>
        verifyWebhook(call.body.replace('lead.handoff', 'lead.handoff '), signature, WEBHOOK_SECRET),
      ).toThrow();
      const parsed = JSON.parse(call.body);
      expect(parsed).toMatchObject({
        id: row.id,
        event: 'lead.handoff',
        data: { handoffId: handoff.id, leadId: handoff.leadId },
      });
      expect(call.body).not.toContain('hook@buyer.test');
    }
    // Temporal's retry backoff (initial interval 5 s) separated the attempts.
    expect((calls[1] as Received).at - (calls[0] as Received).at).toBeGreaterThanOrEqual(4_000);
  });

  it('redelivers a refused event under its original id once asked, and only a failed one', async () => {
    receiver.state.gone = true;
    let failed: Awaited<ReturnType<typeof stack.db.webhookDelivery.findUnique>>;
    let handoffId: string;
    try {
      const { handoff } = await handedOff('gone@buyer.test');
      handoffId = handoff.id;
      failed = await eventually(async () => {
        const r = await stack.db.webhookDelivery.findUnique({
          where: { eventKey: `lead.handoff:${handoff.id}` },
        });
        return r?.status === 'failed' ? r : undefined;
      }, 20_000);
    } finally {
      receiver.state.gone = false;
    }
    expect(failed).toMatchObject({ attempts: 1, lastStatusCode: 410 });
    // A refused webhook does not fail the hand-off: its SLA clock keeps running, the journey too.
    const child = stack.env.client.workflow.getHandle(handoffWorkflowId(handoffId));
    expect((await child.describe()).status.name).toBe('RUNNING');
    const lead = (await stack.db.handoff.findUniqueOrThrow({ where: { id: handoffId } })).leadId;
    expect((await stack.env.client.workflow.getHandle(leadWorkflowId(lead)).query(stateQuery)).stage).toBe(
      'mql',
    );
    const id = failed?.id as string;
    const redeliver = (key: string | null = stack.apiKey, target = id) =>
      stack.post(`/v1/webhooks/deliveries/${target}/redeliver`, {}, key);

    expect((await redeliver(stack.readKey)).status).toBe(403);
    expect((await redeliver(stack.apiKey, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const res = await redeliver();
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, status: 'pending' });
    const delivered = await eventually(async () => {
      const r = await stack.db.webhookDelivery.findUnique({ where: { id } });
      return r?.status === 'delivered' ? r : undefined;
    }, 40_000);
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
    const calls = receiver.received.filter((r) => r.headers['x-nurture-event-id'] === id);
    expect(calls.map((c) => c.status)).toContain(410);
    const last = calls[calls.length - 1];
    expect(last?.status).toBe(200);
    expect(JSON.parse(last?.body ?? '{}')).toMatchObject({ id, event: 'lead.handoff', data: { handoffId } });
    expect(() =>
      verifyWebhook(last?.body ?? '', String(last?.headers['x-nurture-signature']), WEBHOOK_SECRET),
    ).not.toThrow();

    const again = await redeliver();
    expect(again.status).toBe(409);
    expect(again.body.issues[0]).toMatchObject({
      field: 'params.id',
      message: expect.stringMatching(/delivered/),
    });
  });

  it('the lead workflow sends lead.stage_changed through the same activity, logged once per transition', async () => {
    const { leadId } = await handedOff('stages@buyer.test');
    const delivered = await eventually(
      async () => {
        const rows = await stack.db.webhookDelivery.findMany({
          where: { event: 'lead.stage_changed', status: 'delivered' },
        });
        const mine = rows.filter((r) =>
          receiver.received.some((c) => c.headers['x-nurture-event-id'] === r.id && c.body.includes(leadId)),
        );
        return mine.length > 0 && mine;
      },
      20_000,
      'stage_changed webhook',
    );
    for (const r of delivered) expect(r.attempts).toBe(1);
  });
});
