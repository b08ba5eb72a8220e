// The outgoing-webhook delivery log (one row per event, updated on every attempt): what was sent
// where, how often it was tried, and what the receiver answered; and redelivery of an event that
// failed for good (a receiver that refused it, or was down past the 24-hour retry window).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { webhookRedeliveryWorkflow } from '../../workflows/webhooks.ts';
import { requireScope } from '../auth.ts';
import { sendError } from '../errors.ts';
import { ErrorBody } from '../schemas.ts';
import type { ApiContext } from '../server.ts';
import { DeliveryStatus, webhookDeliveries } from '../webhook-log.ts';

/** How long the first delivery keeps retrying (scheduleToClose of the deliverWebhook activity). */
const RETRY_WINDOW_MS = 24 * 3_600_000;

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
        const deliveries = await webhookDeliveries(ctx.db, {
          status,
          event,
          limit,
          before: before ? new Date(before) : undefined,
        });
        return { deliveries };
      },
    );

    app.post(
      '/v1/webhooks/deliveries/:id/redeliver',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: 'Send a failed webhook event again, under its original id',
          description:
            'For events refused for good, or still undelivered after the 24-hour retry window. Receivers ' +
            'see the same x-nurture-event-id and data; the signature is fresh.',
          params: z.object({ id: z.string().uuid() }),
          response: {
            202: z.object({ id: z.string(), status: z.literal('pending'), workflowId: z.string() }),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
            409: ErrorBody,
          },
        },
      },
      async (req, reply) => {
        const field = 'params.id';
        const row = await ctx.db.webhookDelivery.findUnique({ where: { id: req.params.id } });
        if (!row) return sendError(reply, 404, 'not_found', [{ field, message: 'no such delivery' }]);
        const expired = row.status !== 'delivered' && Date.now() - row.createdAt.getTime() > RETRY_WINDOW_MS;
        if (row.status !== 'failed' && !expired)
          return sendError(reply, 409, 'conflict', [
            {
              field,
              message: `the delivery is ${row.status}: only failed (or expired) ones can be sent again`,
            },
          ]);
        if (!row.payload)
          return sendError(reply, 409, 'conflict', [
            { field, message: 'recorded before payloads were kept' },
          ]);
        // Claim it: of two concurrent requests, one moves it to pending and starts the redelivery.
        const claimed = await ctx.db.webhookDelivery.updateMany({
          where: { id: row.id, status: row.status },
          data: { status: 'pending', lastError: null },
        });
        if (claimed.count === 0)
          return sendError(reply, 409, 'conflict', [{ field, message: 'a redelivery is already under way' }]);
        const workflowId = `webhook-redelivery-${row.id}-${row.attempts}`;
        try {
          await ctx.temporal.workflow.start<typeof webhookRedeliveryWorkflow>('webhookRedeliveryWorkflow', {
            workflowId,
            taskQueue: ctx.taskQueue,
            args: [{ event: row.event, key: row.eventKey, payload: row.payload as Record<string, unknown> }],
          });
        } catch (err) {
          // Not started: give the row back, so it can be asked for again.
          await ctx.db.webhookDelivery.update({
            where: { id: row.id },
            data: { status: row.status, lastError: row.lastError },
          });
          throw err;
        }
        return reply.code(202).send({ id: row.id, status: 'pending' as const, workflowId });
      },
    );
  };
