// Fuzzing the front door (fast-check): thousands of malformed requests (arbitrary JSON values, wrong
// types, long and odd Unicode strings, missing and unknown fields, broken JSON, odd content types)
// to the events, batch, forms, leads, feedback and import endpoints, through Fastify's inject (the
// same code path as HTTP) on the real stack. Never a 5xx; every 4xx names at least one field.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

interface Req {
  method: 'POST' | 'PUT' | 'GET' | 'DELETE';
  url: string;
  type?: string;
  payload?: string;
}

const UUID = '3f0c1f7e-2b3a-4c5d-9e8f-0a1b2c3d4e5f';
const VALID = {
  event: {
    email: 'fuzz@target.test',
    type: 'page_view',
    properties: { path: '/' },
    profile: { firstName: 'Fuzz' },
  },
  form: { email: 'fuzz@target.test', firstName: 'Fuzz', companySize: '10' },
  lead: { email: 'fuzz@target.test', title: 'Tester', fields: { a: 1 } },
  feedback: { kind: 'reject', actor: 'rep', reason: 'why not' },
} as const;

/** Strings that hurt: long, control characters, NUL, lone surrogates, emoji, RTL, lookalikes. */
const nasty = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ minLength: 2_000, maxLength: 6_000 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff x',
    '👩‍💻@例え.jp',
    'ann@x.test\u0000',
    '‮moc.x@nna',
    'ａｎｎ@ｘ.ｔｅｓｔ',
    'null',
    '__proto__',
    '1e309',
    '-0',
  ),
);
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  nasty,
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
);

/** A valid body with one key replaced by junk, removed, or an unknown key added. */
const mutate = (base: Record<string, unknown>) =>
  fc.oneof(
    fc
      .record({ key: fc.constantFrom(...Object.keys(base)), value: anyValue })
      .map(({ key, value }) => ({ ...base, [key]: value })),
    fc
      .constantFrom(...Object.keys(base))
      .map((key) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key))),
    fc
      .record({ key: fc.string({ maxLength: 30 }), value: anyValue })
      .map(({ key, value }) => ({ ...base, [key]: value })),
    fc
      .record({
        key: fc.constantFrom('properties', 'profile', 'fields'),
        value: fc.dictionary(nasty, anyValue, { maxKeys: 5 }),
      })
      .map(({ key, value }) => ({
        ...base,
        [key]: value,
      })),
  );

const jsonBody = (base: Record<string, unknown>) =>
  fc.oneof(
    { weight: 3, arbitrary: mutate(base).map((b) => JSON.stringify(b)) },
    { weight: 2, arbitrary: anyValue.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: nasty }, // mostly not JSON at all
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"email":',
        '[[[[[[[[[[',
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{}}}',
      ),
    },
  );

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/xml',
      'text/csv',
      'application/json; charset=latin1',
    ),
  },
);

/** Path segments: encoded junk (lone surrogates made encodable), and a few deliberately malformed escapes. */
const segment = fc.oneof(
  { weight: 4, arbitrary: nasty.map((s) => encodeURIComponent(s.replace(/\p{Cs}/gu, '\ufffd')) || 'x') },
  { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%ED%A0%80', '..', '%2e%2e', '%00') },
);
const formName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('demo', 'contact-sales', 'pricing', 'buying-guide') },
  { weight: 1, arbitrary: segment },
);
const leadId = fc.oneof(
  { weight: 3, arbitrary: fc.constant(UUID) },
  { weight: 1, arbitrary: segment },
  { weight: 1, arbitrary: fc.uuid() },
);

const request: fc.Arbitrary<Req> = fc.oneof(
  fc.record({
    method: fc.constant('POST' as const),
    url: fc.constant('/v1/events'),
    type: contentType,
    payload: jsonBody(VALID.event),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: fc.constant('/v1/events/batch'),
    type: contentType,
    payload: fc.oneof(
      fc
        .array(fc.oneof(mutate(VALID.event), anyValue), { maxLength: 8 })
        .map((events) => JSON.stringify({ events })),
      jsonBody({ events: [VALID.event] }),
    ),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: formName.map((f) => `/v1/forms/${f}`),
    type: contentType,
    payload: fc.oneof(
      jsonBody(VALID.form),
      fc
        .dictionary(fc.string({ maxLength: 20 }), nasty, { maxKeys: 6 })
        .map((d) => new URLSearchParams(d).toString()),
    ),
  }),
  fc.record({
    method: fc.constant('PUT' as const),
    url: fc.constant('/v1/leads'),
    type: contentType,
    payload: jsonBody(VALID.lead),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: leadId.map((id) => `/v1/leads/${id}/feedback`),
    type: contentType,
    payload: jsonBody(VALID.feedback),
  }),
  fc.record({
    method: fc.constantFrom('GET' as const, 'DELETE' as const),
    url: leadId.map((id) => `/v1/leads/${id}`),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: fc.constant('/v1/imports'),
    type: fc.constantFrom('text/csv', 'application/json'),
    payload: fc.oneof(
      fc
        .array(fc.array(nasty, { maxLength: 5 }), { maxLength: 6 })
        .map((rows) => ['email,first_name,company', ...rows.map((r) => r.join(','))].join('\n')),
      nasty,
    ),
  }),
);

describe('fuzzing the API', () => {
  it('answers thousands of malformed requests without a 5xx, naming a field in every 4xx', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const res = await stack.api.inject({
          method: req.method,
          url: req.url,
          headers: {
            'x-api-key': stack.apiKey,
            ...(req.type && req.payload !== undefined ? { 'content-type': req.type } : {}),
          },
          payload: req.payload,
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
        if (res.statusCode >= 400) {
          const body = res.json();
          expect(typeof body.error).toBe('string');
          expect(Array.isArray(body.issues) && body.issues.length > 0, res.body.slice(0, 500)).toBe(true);
          for (const issue of body.issues) {
            expect(typeof issue.field === 'string' && issue.field.length > 0, res.body.slice(0, 500)).toBe(
              true,
            );
            expect(
              typeof issue.message === 'string' && issue.message.length > 0,
              res.body.slice(0, 500),
            ).toBe(true);
          }
        }
      }),
      { numRuns: 2_000, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), verbose: 1 },
    );
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(2_000);
    console.log('fuzz status counts', Object.fromEntries([...statuses.entries()].sort(([a], [b]) => a - b)));
    // Mostly refusals, as intended; a few mutations stay valid and are accepted.
    expect((statuses.get(400) ?? 0) / total).toBeGreaterThan(0.5);
  }, 300_000);

  it('documents every new endpoint in the OpenAPI document', async () => {
    const res = await stack.api.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/events',
        '/v1/events/batch',
        '/v1/forms/{form}',
        '/v1/leads',
        '/v1/leads/{id}',
        '/v1/leads/{id}/feedback',
        '/v1/imports',
      ]),
    );
    const put = res.json().paths['/v1/leads'].put;
    expect(Object.keys(put.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['email', 'firstName', 'fields', 'tags']),
    );
  });
});
