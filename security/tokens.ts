// Signed tokens for links in emails (open pixel, click, unsubscribe, sales feedback) and signed
// webhooks. HMAC-SHA256, constant-time comparison, expiry in the token itself.
//
// Token:   base64url(JSON {"e": expiresAt, "p": payload}) "." base64url(HMAC(secret, "tok1." + part1))
// Webhook: header "t=<epoch ms>,v1=<hex HMAC(secret, "<t>." + body)>"; several v1= entries may be
//          present (secret rotation), any one matching is enough.
//
// Secrets can be rotated: verification accepts a list (current first), signing uses one.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenErrorCode = 'malformed' | 'bad_signature' | 'expired';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Secrets = string | readonly string[];

const TOKEN_CONTEXT = 'tok1.';
const B64URL = /^[A-Za-z0-9_-]+$/;
/** Generous bound on a token: links stay well under common URL limits. */
const MAX_TOKEN_LENGTH = 4096;

function secretList(secret: Secrets): readonly string[] {
  const list = typeof secret === 'string' ? [secret] : secret;
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new Error('token secret must be a non-empty string');
  }
  return list;
}

const hmac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest();

/** Constant-time equality of two strings (lengths are not secret). */
function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Signs `payload` (any JSON-serialisable object) into a URL-safe token valid until `expiresAt` (epoch ms). */
export function signToken(payload: object, secret: string, opts: { expiresAt: number }): string {
  const [key] = secretList(secret);
  if (!Number.isSafeInteger(opts.expiresAt) || opts.expiresAt <= 0)
    throw new Error('expiresAt must be epoch milliseconds');
  const body = Buffer.from(JSON.stringify({ e: opts.expiresAt, p: payload })).toString('base64url');
  const token = `${body}.${hmac(key as string, TOKEN_CONTEXT + body).toString('base64url')}`;
  if (token.length > MAX_TOKEN_LENGTH)
    throw new Error(`token too long (${token.length} chars): keep payloads small`);
  return token;
}

/** Returns the payload of a valid, unexpired token; throws TokenError otherwise. */
export function verifyToken<T = unknown>(token: string, secret: Secrets, now: number = Date.now()): T {
  const keys = secretList(secret);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
    throw new TokenError('malformed', 'not a token');
  const parts = token.split('.');
  const [body, sig] = parts;
  if (parts.length !== 2 || !body || !sig || !B64URL.test(body) || !B64URL.test(sig)) {
    throw new TokenError('malformed', 'not a token');
  }
  // Compare the canonical encodings, not decoded bytes: base64url decoding ignores stray trailing
  // bits, so two different strings could otherwise carry the same signature.
  const valid = keys.some((key) => safeEqual(sig, hmac(key, TOKEN_CONTEXT + body).toString('base64url')));
  if (!valid) throw new TokenError('bad_signature', 'token signature does not match');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('malformed', 'token body is not JSON');
  }
  const { e, p } = (decoded ?? {}) as { e?: unknown; p?: unknown };
  if (typeof e !== 'number' || p === null || typeof p !== 'object')
    throw new TokenError('malformed', 'token body is incomplete');
  if (now >= e) throw new TokenError('expired', 'token has expired');
  return p as T;
}

// ---------------------------------------------------------------------------------------------
// Webhooks

export const DEFAULT_WEBHOOK_TOLERANCE_MS = 5 * 60_000;

const webhookSignature = (secret: string, body: string, timestamp: number) =>
  hmac(secret, `${timestamp}.${body}`).toString('hex');

/** Header value for a webhook request: `t=<epoch ms>,v1=<hex signature>`. */
export function signWebhook(body: string, secret: string, timestamp: number): string {
  const [key] = secretList(secret);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new Error('timestamp must be epoch milliseconds');
  return `t=${timestamp},v1=${webhookSignature(key as string, body, timestamp)}`;
}

/**
 * Checks a webhook signature header against the raw body. Refuses a timestamp further than
 * `toleranceMs` from `now` in either direction (`expired`): a captured request cannot be replayed
 * later. Within the window, receivers should still de-duplicate by event id.
 */
export function verifyWebhook(
  body: string,
  header: string,
  secret: Secrets,
  opts: { now?: number; toleranceMs?: number } = {},
): { timestamp: number } {
  const keys = secretList(secret);
  const now = opts.now ?? Date.now();
  const tolerance = opts.toleranceMs ?? DEFAULT_WEBHOOK_TOLERANCE_MS;
  if (typeof header !== 'string' || header.length > 1024)
    throw new TokenError('malformed', 'missing signature header');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new TokenError('malformed', 'signature header is not key=value pairs');
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,16}$/.test(value))
        throw new TokenError('malformed', 'bad timestamp');
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) throw new TokenError('malformed', 'bad v1 signature');
      signatures.push(value);
    }
    // other keys (future schemes) are ignored
  }
  if (timestamp === undefined || signatures.length === 0)
    throw new TokenError('malformed', 'signature header needs t= and v1=');
  const ts = timestamp;
  const expected = keys.map((key) => webhookSignature(key, body, ts));
  let valid = false;
  for (const sig of signatures) for (const exp of expected) if (safeEqual(sig, exp)) valid = true;
  if (!valid) throw new TokenError('bad_signature', 'webhook signature does not match');
  if (Math.abs(now - ts) > tolerance)
    throw new TokenError('expired', 'webhook timestamp is outside the tolerance window');
  return { timestamp: ts };
}
