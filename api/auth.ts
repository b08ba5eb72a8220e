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

/** Rate-limit bucket: per key (by hash, the secret is not kept) when one is presented, else per address. */
export function rateLimitKey(req: FastifyRequest): string {
  const key = presentedKey(req);
  return key && key.length <= 200 ? `key:${hashKey(key).slice(0, 32)}` : `ip:${req.ip}`;
}

/** A hook (use it as onRequest) refusing requests without a valid, unrevoked key holding `scope`. */
export function requireScope(db: Db, scope: Scope) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const key = presentedKey(req);
    if (!key)
      return sendError(reply, 401, 'unauthorized', [
        { field: 'header.x-api-key', message: 'an API key is required' },
      ]);
    const row = key.length <= 200 ? await db.apiKey.findUnique({ where: { hash: hashKey(key) } }) : null;
    if (!row || row.revokedAt)
      return sendError(reply, 401, 'unauthorized', [
        { field: 'header.x-api-key', message: 'unknown or revoked API key' },
      ]);
    if (!row.scopes.includes(scope))
      return sendError(reply, 403, 'forbidden', [
        { field: 'header.x-api-key', message: `this key lacks the '${scope}' scope` },
      ]);
    req.apiKeyId = row.id;
  };
}
