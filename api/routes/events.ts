import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ingestEvent } from '../../ingest/events.ts';
import { requireScope } from '../auth.ts';
import { ErrorBody, EventAccepted, EventBody } from '../schemas.ts';
import type { ApiContext } from '../server.ts';

export const eventRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/events',
      {
        preHandler: requireScope(ctx.db, 'write'),
        schema: {
          summary: 'Record an engagement event for a lead (created or merged by email)',
          body: EventBody,
          response: { 202: EventAccepted, 200: EventAccepted, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (req, reply) => {
        const { occurredAt, ...rest } = req.body;
        const result = await ingestEvent(ctx, { ...rest, occurredAt: occurredAt ? Date.parse(occurredAt) : undefined });
        return reply.code(result.duplicate ? 200 : 202).send(result);
      },
    );
  };
