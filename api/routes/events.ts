import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type IncomingEvent, ingestEvent, ingestMany } from '../../ingest/events.ts';
import { requireScope } from '../auth.ts';
import { type Issue, rejectUnstorableText, sendError, zodIssues } from '../errors.ts';
import {
  BatchBody,
  BatchItemResult,
  BatchResult,
  ErrorBody,
  EventBody,
  EventResponses,
  MAX_BATCH,
} from '../schemas.ts';
import type { ApiContext } from '../server.ts';

/** The API body as the ingest layer takes it. */
export function incomingEvent(body: EventBody): IncomingEvent {
  const { occurredAt, ...rest } = body;
  return { ...rest, occurredAt: occurredAt ? Date.parse(occurredAt) : undefined };
}

type BatchResultBody = z.infer<typeof BatchResult>;
type ItemResult = BatchResultBody['results'][number];
const BatchRefused = ErrorBody.extend({ results: z.array(BatchItemResult).optional() });

export const eventRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.addHook('preValidation', rejectUnstorableText);
    const withLog = (req: FastifyRequest) => ({ ...ctx, log: req.log });

    app.post(
      '/v1/events',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: 'Record an engagement event for a lead (created or merged by email)',
          description: 'Stored before the answer; 202 new, 200 when `clientEventId` was seen before.',
          body: EventBody,
          response: EventResponses,
        },
      },
      async (req, reply) => {
        const result = await ingestEvent(withLog(req), incomingEvent(req.body));
        return reply.code(result.duplicate ? 200 : 202).send(result);
      },
    );

    app.post(
      '/v1/events/batch',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: `Record up to ${MAX_BATCH} events; each is validated and stored on its own`,
          description:
            'Valid items are accepted even when others are rejected; every item gets a result, and rejected items name ' +
            'their fields as `body.events[i].field`. 202 when at least one item was stored (or was a duplicate), 400 when none was valid.',
          body: BatchBody,
          response: {
            202: BatchResult,
            400: BatchRefused,
            401: ErrorBody,
            403: ErrorBody,
            503: BatchRefused,
          },
        },
      },
      async (req, reply) => {
        const items = req.body.events;
        const results: ItemResult[] = new Array(items.length);
        const valid: Array<{ index: number; input: IncomingEvent }> = [];
        items.forEach((item, index) => {
          const parsed = EventBody.safeParse(item);
          if (parsed.success) valid.push({ index, input: incomingEvent(parsed.data) });
          else
            results[index] = {
              index,
              status: 'rejected',
              issues: zodIssues(`body.events[${index}]`, parsed.error.issues),
            };
        });
        const outcomes = await ingestMany(
          withLog(req),
          valid.map((v) => v.input),
        );
        outcomes.forEach((outcome, k) => {
          const { index } = valid[k] as { index: number };
          if (outcome.ok) {
            const r = outcome.result;
            results[index] = {
              index,
              status: r.duplicate ? 'duplicate' : 'accepted',
              leadId: r.leadId,
              eventId: r.eventId,
              delivered: r.delivered,
            };
          } else {
            req.log.error({ err: outcome.error, index }, 'batch item not stored');
            results[index] = {
              index,
              status: 'failed',
              issues: [
                {
                  field: `body.events[${index}]`,
                  message: 'not stored: temporarily unavailable, retry this item',
                },
              ],
            };
          }
        });
        const count = (s: ItemResult['status']) => results.filter((r) => r.status === s).length;
        const body: BatchResultBody = {
          accepted: count('accepted'),
          duplicates: count('duplicate'),
          rejected: count('rejected'),
          failed: count('failed'),
          results,
        };
        if (body.accepted + body.duplicates > 0) return reply.code(202).send(body);
        const issues: Issue[] = results.flatMap((r) => r.issues ?? []);
        if (body.failed > 0 && body.rejected === 0)
          return sendError(reply, 503, 'unavailable', issues, { results });
        return sendError(reply, 400, 'invalid_request', issues, { results });
      },
    );
  };
