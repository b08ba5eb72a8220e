// API keys: random secrets shown once, stored as SHA-256 hashes, scoped read/write, revocable.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.ts';
import { sendError } from './errors.ts';

export type Scope = 'read' | 'write';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function createApiKey(db: Db, name: string, scopes: Scope[]): Promise<{ id: string; key: string }> {
  const key = `lnk_${randomBytes(24).toString('base64url')}`;
  const row = await db.apiKey.create({ data: { name, hash: hashKey(key), scopes } });
  return { id: row.id, key };
}

export async function revokeApiKey(db: Db, id: string): Promise<void> {
  await db.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
}

function presentedKey(req: FastifyRequest): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

/** A preHandler refusing requests without a valid, unrevoked key holding `scope`. */
export function requireScope(db: Db, scope: Scope) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const key = presentedKey(req);
    if (!key) return sendError(reply, 401, 'unauthorized', [{ field: 'header.x-api-key', message: 'an API key is required' }]);
    const row = await db.apiKey.findUnique({ where: { hash: hashKey(key) } });
    if (!row || row.revokedAt) return sendError(reply, 401, 'unauthorized', [{ field: 'header.x-api-key', message: 'unknown or revoked API key' }]);
    if (!row.scopes.includes(scope))
      return sendError(reply, 403, 'forbidden', [{ field: 'header.x-api-key', message: `this key lacks the '${scope}' scope` }]);
    (req as FastifyRequest & { apiKeyId?: string }).apiKeyId = row.id;
  };
}
