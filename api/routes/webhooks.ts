// The outgoing-webhook delivery log (one row per event, updated on every attempt), read-only:
// what was sent where, how often it was tried, and what the receiver answered.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireScope } from '../auth.ts';
import { ErrorBody } from '../schemas.ts';
import type { ApiContext } from '../server.ts';

const DeliveryStatus = z.enum(['pending', 'retrying', 'delivered', 'failed']);

const Delivery = z.object({
  id: z.string().describe('sent as x-nurture-event-id'),
  event: z.string(),
  url: z.string(),
  status: DeliveryStatus,
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.date(),
  deliveredAt: z.date().nullable(),
});

export const webhookRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/webhooks/deliveries',
      {
        onRequest: requireScope(ctx.db, 'read'),
        schema: {
          summary: 'The outgoing-webhook delivery log, newest first',
          description: 'Page with `before` = the `createdAt` of the last row of the previous page.',
          querystring: z
            .object({
              status: DeliveryStatus.optional(),
              event: z.string().max(100).optional(),
              limit: z.coerce.number().int().min(1).max(500).default(50),
              before: z.iso.datetime({ offset: true }).optional(),
            })
            .strict(),
          response: {
            200: z.object({ deliveries: z.array(Delivery) }),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
          },
        },
      },
      async (req) => {
        const { status, event, limit, before } = req.query;
        const rows = await ctx.db.webhookDelivery.findMany({
          where: {
            ...(status ? { status } : {}),
            ...(event ? { event } : {}),
            ...(before ? { createdAt: { lt: new Date(before) } } : {}),
          },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: limit,
        });
        return {
          deliveries: rows.map((r) => ({ ...r, status: DeliveryStatus.catch('pending').parse(r.status) })),
        };
      },
    );
  };
