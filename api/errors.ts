// One stable error shape for every 4xx/5xx: { error, issues: [{ field, message }] }.
// `field` always names where the problem is: `body.email`, `body.events[3].email`, `params.id`,
// `query.x`, `header.x-api-key`, or `body` itself when the body as a whole is wrong.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { z } from 'zod';

export interface Issue {
  field: string;
  message: string;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  issues: Issue[] = [],
  extra: object = {},
) {
  return reply
    .code(status)
    .type('application/json')
    .send({ error, issues, ...extra });
}

/** `body` + ['events', 3, 'email'] → `body.events[3].email`. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    const s = String(part);
    if (typeof part === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out || 'body';
}

/** Zod issues as API issues; unknown keys get one issue each, named. */
export function zodIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): Issue[] {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ field: fieldPath(prefix, [...i.path, k]), message: 'unknown field' }))
      : [{ field: fieldPath(prefix, i.path), message: i.message || 'invalid' }],
  );
}

interface ProviderIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { keys?: unknown };
}

function validationIssues(part: string, errors: ProviderIssue[]): Issue[] {
  return errors.flatMap((e) => {
    const path = (e.instancePath ?? '').split('/').filter(Boolean);
    if (e.keyword === 'unrecognized_keys' && Array.isArray(e.params?.keys))
      return e.params.keys.map((k) => ({
        field: fieldPath(part, [...path, String(k)]),
        message: 'unknown field',
      }));
    return [{ field: fieldPath(part, path), message: e.message || 'invalid' }];
  });
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const part = err.validationContext ?? 'body';
    return sendError(
      reply,
      400,
      'invalid_request',
      validationIssues(part, err.validation as ProviderIssue[]),
    );
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.statusCode === 415)
    return sendError(reply, 415, 'unsupported_media_type', [
      { field: 'header.content-type', message: err.message },
    ]);
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return sendError(reply, 400, 'invalid_request', [
      { field: 'body', message: 'the body is empty but content-type is application/json' },
    ]);
  if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
    return sendError(reply, 400, 'invalid_request', [
      { field: 'body', message: 'the body is not valid JSON' },
    ]);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413)
    return sendError(reply, 413, 'payload_too_large', [{ field: 'body', message: err.message }]);
  if (err.statusCode === 429)
    return sendError(reply, 429, 'rate_limited', [{ field: 'header.x-api-key', message: err.message }]);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return sendError(reply, err.statusCode, 'invalid_request', [{ field: 'body', message: err.message }]);
  // Unexpected: the database or Temporal is down, or a bug. Nothing about the request is echoed.
  req.log.error({ err }, 'request failed');
  return sendError(reply, 503, 'unavailable', [
    { field: 'server', message: 'temporarily unavailable, retry later' },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Text PostgreSQL cannot store

const LONE_SURROGATE = /\p{Cs}/u;

/** Why a string cannot be stored (NUL, unpaired surrogate), or undefined when it can. */
export function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode (unpaired surrogate)';
  return undefined;
}

/**
 * Finds strings (keys or values) PostgreSQL would refuse anywhere in a parsed body, iteratively so
 * that deep nesting cannot overflow the stack. Returns at most `max` issues.
 */
export function unstorableText(body: unknown, prefix = 'body', max = 20): Issue[] {
  interface Node {
    value: unknown;
    key?: PropertyKey;
    parent?: Node;
  }
  const pathOf = (n: Node) => {
    const path: PropertyKey[] = [];
    for (let at: Node | undefined = n; at?.parent; at = at.parent) path.unshift(at.key as PropertyKey);
    return path;
  };
  const issues: Issue[] = [];
  const stack: Node[] = [{ value: body }];
  while (stack.length && issues.length < max) {
    const node = stack.pop() as Node;
    const { value } = node;
    if (typeof value === 'string') {
      const why = unstorable(value);
      if (why) issues.push({ field: fieldPath(prefix, pathOf(node)), message: why });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: node });
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const why = unstorable(k);
        if (why) issues.push({ field: fieldPath(prefix, pathOf(node)), message: `a key ${why}` });
        stack.push({ value: v, key: k, parent: node });
      }
    }
  }
  return issues;
}

/** preValidation hook: refuses bodies with text that cannot be stored, naming the field. */
export async function rejectUnstorableText(req: FastifyRequest, reply: FastifyReply) {
  if (
    req.body === undefined ||
    req.body === null ||
    typeof (req.body as { pipe?: unknown }).pipe === 'function'
  )
    return;
  const issues = unstorableText(req.body);
  if (issues.length) return sendError(reply, 400, 'invalid_request', issues);
}
