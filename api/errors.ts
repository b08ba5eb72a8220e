// One stable error shape for every 4xx/5xx: { error, issues: [{ field, message }] }.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export interface Issue {
  field: string;
  message: string;
}

export function sendError(reply: FastifyReply, status: number, error: string, issues: Issue[] = []) {
  return reply.code(status).type('application/json').send({ error, issues });
}

const fieldOf = (e: { instancePath?: string; params?: { issue?: { path?: PropertyKey[] } } }, part: string) => {
  const path = e.params?.issue?.path;
  if (path?.length) return `${part}.${path.map(String).join('.')}`;
  const p = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  return p ? `${part}.${p}` : part;
};

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const part = err.validationContext ?? 'body';
    return sendError(
      reply,
      400,
      'invalid_request',
      err.validation.map((v) => ({ field: fieldOf(v as never, part), message: v.message ?? 'invalid' })),
    );
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.statusCode === 415)
    return sendError(reply, 415, 'unsupported_media_type', [{ field: 'header.content-type', message: err.message }]);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return sendError(reply, 413, 'payload_too_large', [{ field: 'body', message: err.message }]);
  if (err.statusCode === 429) return sendError(reply, 429, 'rate_limited', [{ field: 'header.x-api-key', message: err.message }]);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return sendError(reply, err.statusCode, 'invalid_request', [{ field: 'body', message: err.message }]);
  req.log.error({ err }, 'request failed');
  return sendError(reply, 503, 'unavailable', [{ field: 'server', message: 'temporarily unavailable, retry later' }]);
}
