// Ingestion through the running API on real Temporal (time-skipping server) and PostgreSQL: single
// and batch events with idempotency, hand-raiser forms, lead profiles, GDPR erasure, streamed CSV
// imports, the stable error shape, and the outbox taking over while Temporal is unreachable.
import { createServer } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/server.ts';
import { deliverPending } from '../../ingest/outbox.ts';
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

type Res = { status: number; body: any; headers: Headers };

async function request(
  method: string,
  path: string,
  body?: unknown,
  opts: { key?: string | null; type?: string } = {},
): Promise<Res> {
  const key = opts.key === undefined ? stack.apiKey : opts.key;
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': opts.type ?? 'application/json' } : {}),
      ...(key ? { 'x-api-key': key } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const fields = (body: { issues: Array<{ field: string }> }) => body.issues.map((i) => i.field);
const leadByEmail = (email: string) => stack.db.lead.findUnique({ where: { email } });

describe('POST /v1/events', () => {
  it('accepts an event, and the same clientEventId twice only once', async () => {
    const body = {
      email: 'idem@corp.test',
      type: 'page_view',
      clientEventId: 'ce-1',
      properties: { path: '/pricing' },
    };
    const first = await request('POST', '/v1/events', body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ duplicate: false, delivered: true });
    const second = await request('POST', '/v1/events', body);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      duplicate: true,
      eventId: first.body.eventId,
      leadId: first.body.leadId,
    });
    expect(await stack.db.engagementEvent.count({ where: { clientEventId: 'ce-1' } })).toBe(1);
  });

  it('accepts a concurrent double (and quintuple) submit once', async () => {
    const body = { email: 'race@corp.test', type: 'content_download', clientEventId: 'ce-race' };
    const results = await Promise.all(Array.from({ length: 5 }, () => request('POST', '/v1/events', body)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(new Set(results.map((r) => r.body.eventId)).size).toBe(1);
    expect(await stack.db.engagementEvent.count({ where: { clientEventId: 'ce-race' } })).toBe(1);
    expect(await stack.db.lead.count({ where: { email: 'race@corp.test' } })).toBe(1);
  });

  it('refuses bad input naming each field, in the stable shape', async () => {
    const res = await request('POST', '/v1/events', {
      email: 'nope',
      type: 'teleport',
      occurredAt: '1999-01-01T00:00:00Z',
      profile: { country: 'Germany', timezone: 'Mars/Olympus', tags: ['ok', 7] },
      bogus: 1,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(fields(res.body)).toEqual(
      expect.arrayContaining([
        'body.email',
        'body.type',
        'body.occurredAt',
        'body.profile.country',
        'body.profile.timezone',
        'body.profile.tags[1]',
        'body.bogus',
      ]),
    );
    for (const issue of res.body.issues) expect(issue.message).toBeTruthy();

    const nul = await request('POST', '/v1/events', {
      email: 'nul@corp.test',
      type: 'page_view',
      properties: { path: 'a\u0000b' },
    });
    expect(nul.status).toBe(400);
    expect(fields(nul.body)).toEqual(['body.properties.path']);

    const notJson = await request('POST', '/v1/events', '{"email": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toEqual({
      error: 'invalid_request',
      issues: [{ field: 'body', message: expect.any(String) }],
    });

    const wrongType = await request('POST', '/v1/events', '<event/>', { type: 'application/xml' });
    expect(wrongType.status).toBe(415);
    expect(fields(wrongType.body)).toEqual(['header.content-type']);

    const unknown = await request('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(fields(unknown.body)).toEqual(['url']);
  });
});

describe('POST /v1/events/batch', () => {
  it('accepts the valid items, rejects the others by index and field, loses nothing', async () => {
    const res = await request('POST', '/v1/events/batch', {
      events: [
        { email: 'b0@batch.test', type: 'page_view' },
        { email: 'not-an-email', type: 'page_view' },
        { email: 'b0@batch.test', type: 'content_download', clientEventId: 'batch-dup' },
        { email: 'b3@batch.test', type: 'teleport', colour: 'red' },
        { email: 'B0@batch.test', type: 'webinar_registered', clientEventId: 'batch-dup' },
        'not even an object',
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 2, duplicates: 1, rejected: 3, failed: 0 });
    const r = res.body.results;
    expect(r.map((x: { status: string }) => x.status)).toEqual([
      'accepted',
      'rejected',
      'accepted',
      'rejected',
      'duplicate',
      'rejected',
    ]);
    expect(fields(r[1])).toEqual(['body.events[1].email']);
    expect(fields(r[3]).sort()).toEqual(['body.events[3].colour', 'body.events[3].type']);
    expect(fields(r[5])).toEqual(['body.events[5]']);
    expect(r[4].eventId).toBe(r[2].eventId);
    const lead = await leadByEmail('b0@batch.test');
    expect(await stack.db.engagementEvent.count({ where: { leadId: lead?.id } })).toBe(2);
    expect(await leadByEmail('b3@batch.test')).toBeNull();
    expect(r[0].delivered && r[2].delivered).toBe(true);
  });

  it('answers 400 with every issue when no item is valid, and bounds the batch size', async () => {
    const none = await request('POST', '/v1/events/batch', {
      events: [{ email: 'x' }, { type: 'page_view' }],
    });
    expect(none.status).toBe(400);
    expect(fields(none.body)).toEqual(
      expect.arrayContaining(['body.events[0].email', 'body.events[0].type', 'body.events[1].email']),
    );
    expect(none.body.results).toHaveLength(2);

    const tooMany = await request('POST', '/v1/events/batch', {
      events: Array.from({ length: 101 }, () => ({})),
    });
    expect(tooMany.status).toBe(400);
    expect(fields(tooMany.body)).toEqual(['body.events']);

    const empty = await request('POST', '/v1/events/batch', { events: [] });
    expect(empty.status).toBe(400);
    expect(fields(empty.body)).toEqual(['body.events']);
  });
});

describe('POST /v1/forms/:form', () => {
  it('maps each hand-raiser form to its event and takes the profile from the form', async () => {
    const demo = await request('POST', '/v1/forms/demo', {
      email: ' Grace@Navy.test',
      firstName: 'Grace',
      company: 'US Navy',
      title: 'Rear Admiral',
      seniority: 'c_level',
      companySize: '5000',
      page: '/demo',
    });
    expect(demo.status).toBe(202);
    const lead = await leadByEmail('grace@navy.test');
    expect(lead).toMatchObject({
      id: demo.body.leadId,
      firstName: 'Grace',
      company: 'US Navy',
      title: 'Rear Admiral',
    });
    expect(lead?.profile).toMatchObject({ seniority: 'c_level', companySize: 5000 });
    const event = await stack.db.engagementEvent.findUniqueOrThrow({ where: { id: demo.body.eventId } });
    expect(event).toMatchObject({
      type: 'demo_request',
      channel: 'web',
      properties: { form: 'demo', page: '/demo' },
    });

    // urlencoded, as a website backend would forward it; empty fields mean "not given".
    const guide = await request(
      'POST',
      '/v1/forms/buying-guide',
      'email=grace%40navy.test&lastName=Hopper&company=&companySize=',
      {
        type: 'application/x-www-form-urlencoded',
      },
    );
    expect(guide.status).toBe(202);
    expect(guide.body.leadId).toBe(demo.body.leadId);
    const guideEvent = await stack.db.engagementEvent.findUniqueOrThrow({
      where: { id: guide.body.eventId },
    });
    expect(guideEvent).toMatchObject({
      type: 'content_download',
      properties: { form: 'buying-guide', asset: 'buying-guide' },
    });
    expect(await leadByEmail('grace@navy.test')).toMatchObject({ lastName: 'Hopper', company: 'US Navy' });

    for (const [form, type] of [
      ['contact-sales', 'contact_request'],
      ['pricing', 'pricing_request'],
    ] as const) {
      const res = await request('POST', `/v1/forms/${form}`, { email: `${form}@forms.test` });
      expect(res.status).toBe(202);
      expect(
        (await stack.db.engagementEvent.findUniqueOrThrow({ where: { id: res.body.eventId } })).type,
      ).toBe(type);
    }
  });

  it('names the field on bad forms', async () => {
    const bad = await request('POST', '/v1/forms/demo', {
      email: 'grace',
      companySize: 'lots',
      country: 'Deutschland',
      favouriteColour: 'blue',
    });
    expect(bad.status).toBe(400);
    expect(fields(bad.body).sort()).toEqual([
      'body.companySize',
      'body.country',
      'body.email',
      'body.favouriteColour',
    ]);
    const missing = await request('POST', '/v1/forms/demo', {});
    expect(missing.body.issues).toEqual([{ field: 'body.email', message: 'required' }]);
    const unknownForm = await request('POST', '/v1/forms/newsletter', { email: 'a@b.test' });
    expect(unknownForm.status).toBe(400);
    expect(fields(unknownForm.body)).toEqual(['params.form']);
  });
});

describe('leads', () => {
  it('PUT creates, then merges by trimmed, case-insensitive email', async () => {
    const created = await request('PUT', '/v1/leads', {
      email: '  Linus@Kernel.TEST ',
      firstName: 'Linus',
      fields: { plan: 'free' },
      tags: ['oss'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ created: true, signalled: false });
    const updated = await request('PUT', '/v1/leads', {
      email: 'linus@kernel.test',
      title: 'Maintainer',
      fields: { seats: 3 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      leadId: created.body.leadId,
      created: false,
      changed: ['title', 'fields'],
    });
    const lead = await leadByEmail('linus@kernel.test');
    expect(lead).toMatchObject({
      firstName: 'Linus',
      title: 'Maintainer',
      profile: { fields: { plan: 'free', seats: 3 }, tags: ['oss'] },
    });
    const same = await request('PUT', '/v1/leads', { email: 'LINUS@kernel.test', title: 'Maintainer' });
    expect(same.body.changed).toEqual([]);
    expect(await stack.db.lead.count({ where: { email: { contains: 'kernel.test' } } })).toBe(1);
  });

  it('PUT signals the running journey with the changes (and never the address)', async () => {
    const ev = await request('POST', '/v1/events', { email: 'ken@unix.test', type: 'page_view' });
    const handle = stack.env.client.workflow.getHandle(leadWorkflowId(ev.body.leadId));
    await eventually(
      async () => (await handle.describe()).status.name === 'RUNNING',
      10_000,
      'journey running',
    );
    const put = await request('PUT', '/v1/leads', {
      email: 'ken@unix.test',
      company: 'Bell Labs',
      seniority: 'director',
    });
    expect(put.body).toMatchObject({ created: false, signalled: true, changed: ['company', 'seniority'] });
    // Signals sent while a workflow task runs are buffered: they reach the history when it completes.
    const history = await eventually(
      async () => {
        const h = await handle.fetchHistory();
        return (
          (h.events ?? []).some(
            (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'profile',
          ) && h
        );
      },
      10_000,
      'profile signal in history',
    );
    const signal = (history.events ?? []).find(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'profile',
    );
    const payload = signal?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data;
    expect(JSON.parse(Buffer.from(payload as Uint8Array).toString())).toEqual({
      company: 'Bell Labs',
      seniority: 'director',
    });
    expect(historyText(history)).toContain('Bell Labs');
    expect(historyText(history)).not.toContain('ken@unix.test');
  });

  it('GET shows the lead; DELETE erases through the running journey and keeps the counts', async () => {
    const email = 'erase.me@gdpr.test';
    const first = await request('POST', '/v1/events', {
      email,
      type: 'content_download',
      properties: { asset: 'ebook' },
      profile: { firstName: 'Erin', country: 'DE' },
    });
    await request('POST', '/v1/events', { email, type: 'page_view', properties: { path: '/pricing' } });
    const leadId = first.body.leadId;
    await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 20_000 });
    const before = await request('GET', `/v1/leads/${leadId}`, undefined, { key: stack.readKey });
    expect(before.status).toBe(200);
    expect(before.body.counts.events).toBe(2);

    const del = await request('DELETE', `/v1/leads/${leadId}`);
    expect(del.status).toBe(202);
    expect(del.body).toEqual({ leadId, status: 'requested' });
    const erased = await eventually(
      async () => {
        const l = await stack.db.lead.findUnique({ where: { id: leadId } });
        return l?.erasedAt ? l : undefined;
      },
      20_000,
      'erasure',
    );
    expect(erased).toMatchObject({
      email: null,
      firstName: null,
      lastName: null,
      company: null,
      country: null,
      profile: {},
    });
    const events = await stack.db.engagementEvent.findMany({ where: { leadId } });
    expect(events).toHaveLength(2);
    for (const e of events) expect(e.properties).toEqual({});
    // The welcome email's row stays (send counts), its personalised subject does not.
    const messages = await stack.db.message.findMany({ where: { leadId } });
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m.subject).toBeNull();
    const handle = stack.env.client.workflow.getHandle(leadWorkflowId(leadId));
    await eventually(
      async () => (await handle.describe()).status.name === 'COMPLETED',
      20_000,
      'journey completed',
    );

    const after = await request('GET', `/v1/leads/${leadId}`, undefined, { key: stack.readKey });
    expect(after.body).toMatchObject({ erased: true, counts: { events: 2 } });
    expect(JSON.stringify(after.body)).not.toContain('erase.me');
    const again = await request('DELETE', `/v1/leads/${leadId}`);
    expect(again.body.status).toBe('erased');
  });

  it('DELETE without a running journey erases in the database at once; unknown ids are 404', async () => {
    const put = await request('PUT', '/v1/leads', {
      email: 'nojourney@gdpr.test',
      firstName: 'Nora',
      company: 'Quiet Co',
    });
    const del = await request('DELETE', `/v1/leads/${put.body.leadId}`);
    expect(del.status).toBe(202);
    expect(del.body.status).toBe('erased_directly');
    expect(await stack.db.lead.findUnique({ where: { id: put.body.leadId } })).toMatchObject({
      email: null,
      firstName: null,
      company: null,
    });

    const missing = await request('DELETE', '/v1/leads/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(fields(missing.body)).toEqual(['params.id']);
    const notUuid = await request('DELETE', '/v1/leads/ann@x.test');
    expect(notUuid.status).toBe(400);
    expect(fields(notUuid.body)).toEqual(['params.id']);
  });
});

describe('POST /v1/imports (CSV)', () => {
  const upload = (csv: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    fetch(`${stack.url}/v1/imports`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'x-api-key': stack.apiKey, ...headers },
      body: csv,
      duplex: 'half',
    } as RequestInit).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  it('imports good rows, reports bad ones by row and column, and enrols the accepted leads', async () => {
    const csv = [
      'Email,First Name,last_name,company,title,country,timezone,seniority,company_size,industry,sequence',
      'ada@import.test,Ada,Lovelace,Engines Ltd,CTO,gb,Europe/London,C-Level,120,Computing,',
      'not-an-email,Bob,,,,,,,,,',
      ',NoEmail,,,,,,,,,',
      'carl@import.test,Carl,,,,Germany,Mars/Base,wizard,many,,',
      'dora@import.test,Dora,,,,,,,,,mql-acceleration',
      'eve@import.test,Eve,,,,,,,,,no-such-sequence',
      'fay@import.test,Fay,only three',
      '',
      'ADA@import.test,,,,,,,,,,',
    ].join('\n');
    const res = await upload(csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      accepted: 3,
      rejectedRows: 5,
      truncated: false,
      complete: true,
      undelivered: 0,
    });
    expect(res.body.rejected).toEqual([
      { row: 3, field: 'email', message: 'must be a valid email address' },
      { row: 4, field: 'email', message: 'required' },
      { row: 5, field: 'country', message: expect.any(String) },
      { row: 5, field: 'timezone', message: expect.any(String) },
      { row: 5, field: 'seniority', message: expect.any(String) },
      { row: 5, field: 'company_size', message: 'must be a whole number' },
      { row: 7, field: 'sequence', message: expect.stringContaining('known sequence') },
      { row: 8, field: 'row', message: 'expected 11 fields, found 3' },
    ]);
    const ada = await leadByEmail('ada@import.test');
    expect(ada).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace',
      company: 'Engines Ltd',
      country: 'GB',
      timezone: 'Europe/London',
    });
    expect(ada?.profile).toMatchObject({ seniority: 'c_level', companySize: 120, industry: 'Computing' });
    const imported = await stack.db.engagementEvent.findMany({ where: { leadId: ada?.id } });
    expect(imported).toHaveLength(2); // ADA@ twice in the file: one lead, two rows
    expect(imported[0]).toMatchObject({
      type: 'custom',
      channel: 'import',
      scored: false,
      properties: { name: 'imported', import: res.body.importId },
    });
    expect(await leadByEmail('carl@import.test')).toBeNull();

    const dora = await leadByEmail('dora@import.test');
    const state = await eventually(
      () =>
        stack.env.client.workflow
          .getHandle(leadWorkflowId(dora?.id as string))
          .query(stateQuery)
          .catch(() => undefined),
      10_000,
      'dora enrolled',
    );
    expect(state.sequence?.id).toBe('mql-acceleration');
  });

  it('streams a large upload row by row; an Idempotency-Key makes a retried upload a no-op', async () => {
    const rows = 300;
    let i = 0;
    const encoder = new TextEncoder();
    const stream = () => {
      i = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (i === 0) controller.enqueue(encoder.encode('email,company\n'));
          if (i >= rows) return controller.close();
          const chunk = Array.from({ length: 50 }, () => `bulk${i++}@stream.test,Bulk Co\n`).join('');
          controller.enqueue(encoder.encode(chunk));
        },
      });
    };
    const first = await upload(stream(), { 'idempotency-key': 'bulk-2026-11' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ importId: 'bulk-2026-11', accepted: rows, rejectedRows: 0 });
    expect(await stack.db.lead.count({ where: { email: { endsWith: '@stream.test' } } })).toBe(rows);
    const again = await upload(stream(), { 'idempotency-key': 'bulk-2026-11' });
    expect(again.body.accepted).toBe(rows);
    expect(
      await stack.db.engagementEvent.count({
        where: { clientEventId: { startsWith: 'import:bulk-2026-11:' } },
      }),
    ).toBe(rows);
  });

  it('refuses a bad header naming the column, and non-CSV bodies', async () => {
    const unknown = await upload('email,favourite_colour\nx@y.test,blue\n');
    expect(unknown.status).toBe(400);
    expect(fields(unknown.body)).toEqual(['body.columns.favourite_colour']);
    const noEmail = await upload('first_name\nAda\n');
    expect(noEmail.status).toBe(400);
    expect(fields(noEmail.body)).toEqual(['body.columns.email']);
    const empty = await upload('');
    expect(empty.status).toBe(400);
    const json = await request('POST', '/v1/imports', { email: 'x@y.test' });
    expect(json.status).toBe(415);
    expect(fields(json.body)).toEqual(['header.content-type']);
    const noKey = await request('POST', '/v1/imports', 'email\nx@y.test\n', { key: null, type: 'text/csv' });
    expect(noKey.status).toBe(401);
    const broken = await upload('email,first_name\ngood@csv.test,Good\nbad@csv.test,"unclosed\n');
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({ accepted: 1, complete: false, rejected: [{ row: 3, field: 'row' }] });
  });
});

describe('Temporal unreachable', () => {
  it('stores the event undelivered (202, delivered=false); the outbox delivers it later', async () => {
    const port = await closedPort();
    const down = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${port}`, connectTimeout: '1s' }),
    });
    const app = await buildApi(
      { ...stack.ctx, temporal: down, deliveryTimeoutMs: 1_500 },
      { logLevel: 'silent', rateLimit: false },
    );
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'x-api-key': stack.apiKey },
        payload: {
          email: 'offline@outage.test',
          type: 'demo_request',
          sequence: 'mql-acceleration',
          profile: { firstName: 'Otto' },
        },
      });
      expect(res.statusCode).toBe(202);
      const accepted = res.json();
      expect(accepted.delivered).toBe(false);
      const row = await stack.db.engagementEvent.findUniqueOrThrow({ where: { id: accepted.eventId } });
      expect(row.deliveredAt).toBeNull();
      expect(row.sequenceId).toBe('mql-acceleration');

      // Still down: the outbox tries, fails, and leaves it pending.
      expect(await deliverPending({ ...stack.ctx, temporal: down, deliveryTimeoutMs: 1_000 })).toBe(0);
      expect(
        (await stack.db.engagementEvent.findUniqueOrThrow({ where: { id: accepted.eventId } })).deliveredAt,
      ).toBeNull();

      // Back: delivered, and the journey starts in the sequence the request asked for.
      expect(await deliverPending(stack.ctx)).toBeGreaterThanOrEqual(1);
      expect(
        (await stack.db.engagementEvent.findUniqueOrThrow({ where: { id: accepted.eventId } })).deliveredAt,
      ).not.toBeNull();
      const enrolled = await eventually(
        async () => {
          const state = await stack.env.client.workflow
            .getHandle(leadWorkflowId(accepted.leadId))
            .query(stateQuery)
            .catch(() => undefined);
          return state?.timeline.find((t) => t.kind === 'enrolled');
        },
        10_000,
        'journey started by the outbox',
      );
      expect(enrolled.detail).toBe('mql-acceleration@1');
    } finally {
      await app.close();
      await down.connection.close().catch(() => {});
    }
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
