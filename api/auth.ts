// API keys: random secrets shown once, stored as SHA-256 hashes, scoped read/write, revocable.
// Keys are checked in `onRequest`, before the body is read: an unauthenticated upload costs nothing.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.ts';
import { sendError } from './errors.ts';

export type Scope = 'read' | 'write';

declare module 'fastify' {
  interface FastifyRequest {
    /** Id of the API key that authenticated this request. */
    apiKeyId?: string;
    /** The presented key's row (null: none or unknown), looked up once per request. */
    apiKeyRow?: ApiKeyRow;
  }
}

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(
  db: Db,
  name: string,
  scopes: Scope[],
): Promise<{ id: string; key: string }> {
  const key = `lnk_${randomBytes(24).toString('base64url')}`;
  const row = await db.apiKey.create({ data: { name, hash: hashKey(key), scopes } });
  return { id: row.id, key };
}

export async function revokeApiKey(db: Db, id: string): Promise<void> {
  await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
}

/** The key from `x-api-key` or `Authorization: Bearer`. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

export type ApiKeyRow = Awaited<ReturnType<Db['apiKey']['findUnique']>>;

/** Looks the presented key up once per request (the rate limiter and the scope check share it). */
async function keyRow(db: Db, req: FastifyRequest): Promise<ApiKeyRow> {
  if (req.apiKeyRow !== undefined) return req.apiKeyRow;
  const key = presentedKey(req);
  req.apiKeyRow = key ? await findKey(db, key) : null;
  return req.apiKeyRow;
}

/**
 * Rate-limit bucket: per key (by hash, the secret is not kept) when it is a valid, unrevoked key,
 * else per address: an invented key per request must not escape the per-address limit.
 */
export function rateLimitKey(db: Db) {
  return async (req: FastifyRequest): Promise<string> => {
    const row = await keyRow(db, req);
    return row && !row.revokedAt ? `key:${row.hash.slice(0, 32)}` : `ip:${req.ip}`;
  };
}

/** Why a key row may not act with `scope` (unknown, revoked, lacking the scope); undefined: it may. */
export function keyRefusal(row: ApiKeyRow, scope: Scope): { status: 401 | 403; message: string } | undefined {
  if (!row || row.revokedAt) return { status: 401, message: 'unknown or revoked API key' };
  if (!row.scopes.includes(scope)) return { status: 403, message: `this key lacks the '${scope}' scope` };
  return undefined;
}

/** The row of a presented key (not the request's): sign-in forms and the like. */
export const findKey = (db: Db, key: string): Promise<ApiKeyRow> =>
  key && key.length <= 200 ? db.apiKey.findUnique({ where: { hash: hashKey(key) } }) : Promise.resolve(null);

/** A hook (use it as onRequest) refusing requests without a valid, unrevoked key holding `scope`. */
export function requireScope(db: Db, scope: Scope) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const key = presentedKey(req);
    if (!key)
      return sendError(reply, 401, 'unauthorized', [
        { field: 'header.x-api-key', message: 'an API key is required' },
      ]);
    const row = await keyRow(db, req);
    const refusal = keyRefusal(row, scope);
    if (refusal)
      return sendError(reply, refusal.status, refusal.status === 401 ? 'unauthorized' : 'forbidden', [
        { field: 'header.x-api-key', message: refusal.message },
      ]);
    req.apiKeyId = (row as NonNullable<ApiKeyRow>).id;
  };
}
