// Dashboard sessions: a person signs in once with an API key holding the `read` scope; the browser
// then carries a signed, expiring cookie naming the key's id (never the key). Every request checks
// that the key is still unrevoked, so revoking a key ends its sessions at once.
import { createHmac } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { signToken, TokenError, verifyToken } from '../../security/tokens.ts';
import { type ApiKeyRow, findKey, keyRefusal } from '../auth.ts';

export const SESSION_COOKIE = 'lne_dashboard';
export const SESSION_MS = 12 * 60 * 60 * 1000;

/** A key of its own, derived from the link secret: a session token is never valid as a link token. */
const sessionSecret = (linkSecret: string) =>
  createHmac('sha256', linkSecret).update('dashboard-session-v1').digest('base64url');

export type SignIn = { ok: true; token: string } | { ok: false; message: string };

/** Checks a presented API key and, when it may read, returns the session token for the cookie. */
export async function signIn(db: Db, linkSecret: string, key: string, now = Date.now()): Promise<SignIn> {
  const row = await findKey(db, key);
  const refusal = keyRefusal(row, 'read');
  if (refusal) return { ok: false, message: refusal.message };
  const token = signToken(
    { s: 'dashboard', k: (row as NonNullable<ApiKeyRow>).id },
    sessionSecret(linkSecret),
    {
      expiresAt: now + SESSION_MS,
    },
  );
  return { ok: true, token };
}

/** The key id of a valid session whose key is still unrevoked, else undefined. */
export async function sessionKeyId(
  db: Db,
  linkSecret: string,
  token: string | undefined,
  now = Date.now(),
): Promise<string | undefined> {
  if (!token) return undefined;
  let payload: { s?: unknown; k?: unknown };
  try {
    payload = verifyToken(token, sessionSecret(linkSecret), now);
  } catch (err) {
    if (err instanceof TokenError) return undefined;
    throw err;
  }
  if (payload.s !== 'dashboard' || typeof payload.k !== 'string') return undefined;
  const row = await db.apiKey.findUnique({ where: { id: payload.k } });
  return row && !keyRefusal(row, 'read') ? row.id : undefined;
}
