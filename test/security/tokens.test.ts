import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signToken, signWebhook, TokenError, verifyToken, verifyWebhook } from '../../security/tokens.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const NOW = 1_750_000_000_000;
const HOUR = 3_600_000;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof TokenError) return err.code;
    throw err;
  }
  return 'ok';
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe('signed tokens', () => {
  const payload = { k: 'click', l: 'lead_1', m: 'msg_1', u: 'https://acme.example/pricing?a=1&b=2' };
  const token = signToken(payload, SECRET, { expiresAt: NOW + HOUR });

  it('round-trips the payload and is URL-safe', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyToken<typeof payload>(token, SECRET, NOW)).toEqual(payload);
  });

  it('refuses a tampered payload', () => {
    const [, sig] = token.split('.');
    const forged = `${b64(JSON.stringify({ e: NOW + HOUR, p: { ...payload, l: 'lead_2' } }))}.${sig}`;
    expect(codeOf(() => verifyToken(forged, SECRET, NOW))).toBe('bad_signature');
    const longer = `${b64(JSON.stringify({ e: NOW + 100 * HOUR, p: payload }))}.${sig}`;
    expect(codeOf(() => verifyToken(longer, SECRET, NOW))).toBe('bad_signature');
  });

  it('refuses the wrong secret, accepts any of a rotation list', () => {
    expect(codeOf(() => verifyToken(token, 'another-secret', NOW))).toBe('bad_signature');
    expect(verifyToken(token, ['new-secret', SECRET], NOW)).toEqual(payload);
  });

  it('expires at expiresAt', () => {
    expect(codeOf(() => verifyToken(token, SECRET, NOW + HOUR - 1))).toBe('ok');
    expect(codeOf(() => verifyToken(token, SECRET, NOW + HOUR))).toBe('expired');
    expect(codeOf(() => verifyToken(token, SECRET, NOW + 1000 * HOUR))).toBe('expired');
  });

  it('rejects malformed tokens', () => {
    for (const bad of [
      '',
      '.',
      'abc',
      'a.b.c',
      `${token}.`,
      `.${token}`,
      token.replace('.', '!'),
      'a b.c',
      `${'a'.repeat(5000)}.b`,
    ]) {
      expect(
        codeOf(() => verifyToken(bad, SECRET, NOW)),
        bad,
      ).toBe('malformed');
    }
    expect(codeOf(() => verifyToken(42 as unknown as string, SECRET, NOW))).toBe('malformed');
  });

  it('reports a correctly signed body that is not a token body as malformed', () => {
    // only reachable with the secret (e.g. a token minted by another tool with the same key)
    const body = b64('not json');
    const sig = createHmac('sha256', SECRET).update(`tok1.${body}`).digest('base64url');
    expect(codeOf(() => verifyToken(`${body}.${sig}`, SECRET, NOW))).toBe('malformed');
  });

  it('refuses to sign with an empty secret or a bad expiry', () => {
    expect(() => signToken({}, '', { expiresAt: NOW })).toThrow(/secret/);
    expect(() => signToken({}, SECRET, { expiresAt: Number.NaN })).toThrow(/expiresAt/);
    expect(() => verifyToken(token, [], NOW)).toThrow(/secret/);
  });

  it('property: any single-character change makes verification fail', () => {
    const alphabet = [
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
      '.',
      '=',
      '+',
      '/',
      '%',
      ' ',
      'é',
    ];
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ maxLength: 8 }),
          fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()),
          { maxKeys: 4 },
        ),
        fc.nat(),
        fc.constantFrom(...alphabet),
        (data, position, replacement) => {
          const t = signToken(data, SECRET, { expiresAt: NOW + HOUR });
          expect(verifyToken(t, SECRET, NOW)).toEqual(data);
          const i = position % t.length;
          fc.pre(t[i] !== replacement);
          const mutated = t.slice(0, i) + replacement + t.slice(i + 1);
          expect(codeOf(() => verifyToken(mutated, SECRET, NOW))).toMatch(/^(malformed|bad_signature)$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('exhaustively: every position, every base64url character', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    let checked = 0;
    for (let i = 0; i < token.length; i++) {
      for (const ch of alphabet) {
        if (token[i] === ch) continue;
        expect(codeOf(() => verifyToken(token.slice(0, i) + ch + token.slice(i + 1), SECRET, NOW))).not.toBe(
          'ok',
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('property: deleting or appending a character makes verification fail', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom('A', 'a', '0', '-', '_'), (position, extra) => {
        const i = position % token.length;
        expect(codeOf(() => verifyToken(token.slice(0, i) + token.slice(i + 1), SECRET, NOW))).not.toBe('ok');
        expect(codeOf(() => verifyToken(token + extra, SECRET, NOW))).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });
});

describe('signed webhooks', () => {
  const body = JSON.stringify({ event: 'lead.handoff', id: 'lead.handoff:ho_1', data: { leadId: 'l1' } });
  const header = signWebhook(body, SECRET, NOW);
  const opts = { now: NOW, toleranceMs: 5 * 60_000 };

  it('round-trips', () => {
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(body, header, SECRET, opts)).toEqual({ timestamp: NOW });
  });

  it('refuses a changed body, a changed timestamp or the wrong secret', () => {
    expect(codeOf(() => verifyWebhook(`${body} `, header, SECRET, opts))).toBe('bad_signature');
    expect(codeOf(() => verifyWebhook(body, header.replace(`t=${NOW}`, `t=${NOW + 1}`), SECRET, opts))).toBe(
      'bad_signature',
    );
    expect(codeOf(() => verifyWebhook(body, header, 'other-secret', opts))).toBe('bad_signature');
  });

  it('accepts timestamps within the tolerance, in both directions', () => {
    expect(codeOf(() => verifyWebhook(body, header, SECRET, { ...opts, now: NOW + 5 * 60_000 }))).toBe('ok');
    expect(codeOf(() => verifyWebhook(body, header, SECRET, { ...opts, now: NOW - 5 * 60_000 }))).toBe('ok');
    expect(codeOf(() => verifyWebhook(body, header, SECRET, { ...opts, now: NOW - 5 * 60_000 - 1 }))).toBe(
      'expired',
    );
  });

  it('refuses the replay of a correctly signed request with an old timestamp', () => {
    const old = signWebhook(body, SECRET, NOW - 10 * 60_000);
    expect(codeOf(() => verifyWebhook(body, old, SECRET, opts))).toBe('expired');
    // the same captured request replayed an hour later
    expect(codeOf(() => verifyWebhook(body, header, SECRET, { ...opts, now: NOW + HOUR }))).toBe('expired');
    // default tolerance is 5 minutes
    expect(codeOf(() => verifyWebhook(body, header, SECRET, { now: NOW + 6 * 60_000 }))).toBe('expired');
  });

  it('supports several v1 signatures (secret rotation)', () => {
    const v1 = (s: string) => signWebhook(body, s, NOW).split(',')[1];
    const rotated = `t=${NOW},${v1('new-secret')},${v1(SECRET)}`;
    expect(codeOf(() => verifyWebhook(body, rotated, SECRET, opts))).toBe('ok');
    expect(codeOf(() => verifyWebhook(body, header, ['new-secret', SECRET], opts))).toBe('ok');
  });

  it('rejects malformed headers', () => {
    const sig = header.split(',')[1];
    for (const bad of [
      '',
      'garbage',
      `t=${NOW}`,
      sig,
      `t=abc,${sig}`,
      `t=${NOW},v1=xyz`,
      `t=${NOW},t=${NOW},${sig}`,
      `t=-5,${sig}`,
    ]) {
      expect(
        codeOf(() => verifyWebhook(body, bad as string, SECRET, opts)),
        bad,
      ).toBe('malformed');
    }
  });
});
