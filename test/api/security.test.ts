// Security of the front door, on the Temporal dev server (real visibility) and PostgreSQL: API keys
// (hashed, scoped, revocable), body limits, per-key rate limits, no email address in the logs, and
// workflow ids (and everything visible in Temporal) free of addresses.
import { Writable } from 'node:stream';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, hashKey, revokeApiKey, type Scope } from '../../api/auth.ts';
import { buildApi } from '../../api/server.ts';
import { historyText } from '../support/history.ts';
import { type Stack, startStack } from '../support/stack.ts';

const RATE_LIMIT = 5;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ temporal: 'dev', rateLimit: { max: RATE_LIMIT, timeWindow: '1 minute' } });
});
afterAll(async () => {
  await stack?.stop();
});

/** Each test gets its own key: the stack's rate limit is per key. */
const freshKey = async (scopes: Scope[] = ['read', 'write']) =>
  createApiKey(stack.db, `test-${Math.random()}`, scopes);

async function call(
  path: string,
  init: { method?: string; key?: string | null; body?: string; type?: string; bearer?: boolean } = {},
) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = init.type ?? 'application/json';
  if (init.key)
    headers[init.bearer ? 'authorization' : 'x-api-key'] = init.bearer ? `Bearer ${init.key}` : init.key;
  const res = await fetch(`${stack.url}${path}`, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const EMAILS = ['sec.one@secure.test', 'Sec.Two@Secure.test', 'sec.three@secure.test'];

describe('API keys', () => {
  it('are stored hashed, checked for scope, and stop working once revoked', async () => {
    const { id, key } = await freshKey(['write']);
    expect(await stack.db.apiKey.findFirst({ where: { hash: key } })).toBeNull();
    expect((await stack.db.apiKey.findUniqueOrThrow({ where: { id } })).hash).toBe(hashKey(key));

    const event = JSON.stringify({ email: EMAILS[0], type: 'page_view' });
    expect((await call('/v1/events', { key, body: event })).status).toBe(202);
    expect((await call('/v1/events', { key, body: event, bearer: true })).status).toBe(202);

    const leadId = (await stack.db.lead.findUniqueOrThrow({ where: { email: EMAILS[0] } })).id;
    const read = await call(`/v1/leads/${leadId}`, { method: 'GET', key });
    expect(read.status).toBe(403);
    expect(read.body.issues).toEqual([
      { field: 'header.x-api-key', message: "this key lacks the 'read' scope" },
    ]);

    await revokeApiKey(stack.db, id);
    const revoked = await call('/v1/events', { key, body: event });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual({
      error: 'unauthorized',
      issues: [{ field: 'header.x-api-key', message: 'unknown or revoked API key' }],
    });

    const none = await call('/v1/events', { body: event });
    expect(none.status).toBe(401);
    const wrong = await call('/v1/events', { key: 'lnk_not-a-real-key', body: event });
    expect(wrong.status).toBe(401);
  });
});

describe('limits', () => {
  it('refuses a body over the limit with 413 in the stable shape', async () => {
    const { key } = await freshKey();
    const huge = JSON.stringify({
      email: EMAILS[1],
      type: 'page_view',
      properties: { blob: 'x'.repeat(300 * 1024) },
    });
    const res = await call('/v1/events', { key, body: huge });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({
      error: 'payload_too_large',
      issues: [{ field: 'body', message: expect.any(String) }],
    });
    const batch = await call('/v1/events/batch', {
      key,
      body: JSON.stringify({
        events: Array.from({ length: 100 }, () => ({
          email: EMAILS[1],
          type: 'page_view',
          properties: { blob: 'y'.repeat(3000) },
        })),
      }),
    });
    expect(batch.status).toBe(413);
  });

  it('limits CSV imports by size too, reporting what came before the limit', async () => {
    const app = await buildApi(stack.ctx, {
      logLevel: 'silent',
      rateLimit: false,
      imports: { maxBytes: 2_000 },
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { key } = await freshKey();
      const rows = Array.from({ length: 200 }, (_, i) => `limit${i}@csv.test`).join('\n');
      const post = (body: string | ReadableStream<Uint8Array>) =>
        fetch(`${url}/v1/imports`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv', 'x-api-key': key },
          body,
          duplex: 'half',
        } as RequestInit);
      // A declared length over the limit is refused before reading anything.
      const declared = await post(`email\n${rows}\n`);
      expect(declared.status).toBe(413);
      expect(await declared.json()).toMatchObject({
        error: 'payload_too_large',
        issues: [{ field: 'body' }],
      });
      // Chunked (no length): read until the limit, then refused with a report of what came before.
      const bytes = new TextEncoder().encode(`email\n${rows}\n`);
      const chunked = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 500) controller.enqueue(bytes.slice(i, i + 500));
          controller.close();
        },
      });
      const res = await post(chunked);
      expect(res.status).toBe(413);
      const body = (await res.json()) as any;
      expect(body).toMatchObject({ error: 'payload_too_large', issues: [{ field: 'body' }] });
      expect(body.report.complete).toBe(false);
      expect(body.report.accepted).toBeGreaterThan(0);
      expect(body.report.accepted).toBeLessThan(200);
    } finally {
      await app.close();
    }
  });

  it('puts invented keys in the address bucket: a fresh fake key per request does not escape the limit', async () => {
    const app = await buildApi(stack.ctx, {
      logLevel: 'silent',
      rateLimit: { max: 3, timeWindow: '1 minute' },
    });
    try {
      const fake = () =>
        app.inject({
          method: 'POST',
          url: '/v1/events',
          headers: { 'x-api-key': `lnk_fake_${Math.random()}` },
          payload: {},
        });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await fake()).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      // A real key has a bucket of its own.
      const { key } = await freshKey();
      const real = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'x-api-key': key },
        payload: {},
      });
      expect(real.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('rate-limits per key: 429 in the stable shape, other keys unaffected', async () => {
    const a = await freshKey();
    const b = await freshKey();
    const bad = JSON.stringify({ email: 'x' }); // cheap 400s still count
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++)
      statuses.push((await call('/v1/events', { key: a.key, body: bad })).status);
    expect(statuses.every((s) => s === 400)).toBe(true);
    const limited = await call('/v1/events', { key: a.key, body: bad });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      error: 'rate_limited',
      issues: [{ field: 'header.x-api-key', message: expect.stringMatching(/rate limit/i) }],
    });
    expect((await call('/v1/events', { key: b.key, body: bad })).status).toBe(400);
  });
});

describe('no personal data in logs or in Temporal', () => {
  it('serves requests carrying addresses without writing any address to the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = await buildApi(stack.ctx, { logLevel: 'debug', rateLimit: false, logStream: sink });
    app.get('/test/boom', { schema: { hide: true } }, async () => {
      throw new Error('database said: duplicate key for log.leak@secure.test');
    });
    const { key } = await freshKey();
    const headers = { 'x-api-key': key };
    const inject = (opts: InjectOptions) => app.inject(opts);

    // Each request carries addresses somewhere: body, query, path, form, error message.
    const requests: Array<[InjectOptions, number]> = [
      [
        {
          method: 'POST',
          url: '/v1/events',
          headers,
          payload: { email: 'Log.Ann@Secure.test', type: 'page_view' },
        },
        202,
      ],
      [
        {
          method: 'POST',
          url: '/v1/events/batch',
          headers,
          payload: { events: [{ email: 'log.bob@secure.test', type: 'page_view' }, { email: 'log.bad@' }] },
        },
        202,
      ],
      [
        {
          method: 'POST',
          url: '/v1/forms/demo?ref=log.carl%40secure.test',
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'email=log.carl%40secure.test&firstName=Carl',
        },
        202,
      ],
      [
        {
          method: 'PUT',
          url: '/v1/leads',
          headers,
          payload: { email: 'log.dana@secure.test', title: 'CFO' },
        },
        201,
      ],
      [
        {
          method: 'POST',
          url: '/v1/events',
          headers,
          payload: { email: 'log.eve@secure.test', type: 'nope' },
        },
        400,
      ],
      [{ method: 'GET', url: '/v1/leads/log.fay@secure.test', headers }, 400],
      [{ method: 'GET', url: '/no/route/log.gus@secure.test' }, 404],
      [{ method: 'GET', url: '/test/boom' }, 503],
    ];
    for (const [request, status] of requests)
      expect((await inject(request)).statusCode, String(request.url)).toBe(status);
    await app.close();

    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(10); // requests were logged...
    expect(log).toContain('[email]'); // ...including the places addresses were scrubbed from
    expect(log).not.toMatch(/[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
    expect(log.toLowerCase()).not.toContain('secure.test');
    expect(log).not.toContain(key);
  });

  it('names workflows by lead id only: no address in ids, search attributes or inputs', async () => {
    const { key } = await freshKey();
    const emails = ['wf.one@ids.test', 'wf.two@ids.test'];
    for (const email of emails) {
      expect(
        (
          await call('/v1/events', {
            key,
            body: JSON.stringify({ email, type: 'demo_request', profile: { firstName: 'Wf' } }),
          })
        ).status,
      ).toBe(202);
    }
    const seen: string[] = [];
    for await (const wf of stack.env.client.workflow.list()) {
      seen.push(wf.workflowId);
      expect(wf.workflowId).toMatch(/^(lead|handoff)-[0-9a-f-]{36}$/);
      // Not `@` alone: the server's BuildIds attribute names the SDK as `@temporalio/worker@1.x`.
      const attributes = JSON.stringify(wf.searchAttributes ?? {});
      for (const email of emails) expect(attributes).not.toContain(email.split('@')[0]);
      expect(attributes).not.toMatch(/[\w.+-]+@[\w-]+\.[a-z]{2,}/i);
    }
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const email of emails) {
      const lead = await stack.db.lead.findUniqueOrThrow({ where: { email } });
      const handle = stack.env.client.workflow.getHandle(`lead-${lead.id}`);
      const history = await handle.fetchHistory();
      const text = historyText(history);
      expect(text).toContain(lead.id);
      expect(text).toContain('ids.test'); // the email domain is a fit signal and may be known...
      expect(text).not.toContain(email); // ...the address is not
      expect(text).not.toContain(email.split('@')[0]);
    }
  });
});

describe('GET /metrics', () => {
  it('counts ingested events by outcome and times requests by route template, with no address or id', async () => {
    const { key } = await freshKey();
    const scrape = async () =>
      (await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
    expect((await fetch(`${stack.url}/metrics`)).status).toBe(401); // not without a read key
    const count = (text: string, outcome: string) =>
      Number(
        text.match(new RegExp(`^lne_events_ingested_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm'))?.[1] ?? 0,
      );
    const before = await scrape();
    const email = 'metrics.person@metrics.test';
    const body = JSON.stringify({ email, type: 'page_view', clientEventId: `metrics-${Math.random()}` });
    expect((await call('/v1/events', { key, body })).status).toBe(202);
    expect((await call('/v1/events', { key, body })).status).toBe(200); // the duplicate
    const lead = await stack.db.lead.findUniqueOrThrow({ where: { email } });
    expect((await call(`/v1/leads/${lead.id}`, { method: 'GET', key })).status).toBe(200);

    const after = await scrape();
    expect(count(after, 'delivered') - count(before, 'delivered')).toBe(1);
    expect(count(after, 'duplicate') - count(before, 'duplicate')).toBe(1);
    expect(after).toMatch(
      /lne_http_request_duration_seconds_count\{method="GET",route="\/v1\/leads\/:id",status="200"\} [1-9]/,
    );
    expect(after).toMatch(/^lne_events_undelivered \d+$/m);
    expect(after).not.toContain(lead.id);
    expect(after).not.toContain('metrics.person');
  });
});
