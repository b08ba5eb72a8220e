// Bounce, complaint and mailto-unsubscribe intake from the email provider (or an MTA log shipper,
// or an inbound-mail relay): one generic, signed JSON shape, documented in docs/email-delivery.md.
//
// POST /v1/providers/email-events
//   header  x-nurture-signature: t=<epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//   body    { "events": [{ "type": "bounce" | "complaint" | "unsubscribe", "email": "...", "id"?, "messageId"?,
//             "occurredAt"? (ISO 8601), "reason"? }] }
// The signature is checked over the raw bytes before anything is parsed, and a timestamp more than
// five minutes away is refused (replay protection); within the window, an event seen before (same
// `id`, or same type + address + messageId) is acknowledged as a duplicate and not applied twice.
// Each event: the address is suppressed (before we answer), the message row is marked, and a
// `bounce` / `complaint` engagement event goes to the lead's workflow, which rescores and stops
// emailing.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normaliseEmail } from '../../domain/profile.ts';
import { deliverEvent } from '../../ingest/events.ts';
import { DEFAULT_WEBHOOK_TOLERANCE_MS, TokenError, verifyWebhook } from '../../security/tokens.ts';
import { sendError, unstorableText } from '../errors.ts';
import { ErrorBody } from '../schemas.ts';
import type { ApiContext } from '../server.ts';

export const PROVIDER_SIGNATURE_HEADER = 'x-nurture-signature';

export const ProviderEvent = z
  .object({
    type: z
      .enum(['bounce', 'complaint', 'unsubscribe'])
      .describe(
        'bounce: permanent (hard) bounce only; complaint: marked as spam; unsubscribe: an email to the ' +
          'List-Unsubscribe mailto address (email = its sender)',
      ),
    email: z.string().trim().email('must be a valid email address').max(254),
    id: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("the provider's event id: the same id twice is applied once"),
    messageId: z
      .string()
      .min(1)
      .max(998)
      .optional()
      .describe('Message-ID header of the email concerned, with or without <>'),
    occurredAt: z.iso.datetime({ offset: true }).optional().describe('ISO 8601; defaults to now'),
    reason: z.string().max(1000).optional().describe('diagnostic, e.g. "550 5.1.1 user unknown"'),
  })
  .strict();
export type ProviderEvent = z.infer<typeof ProviderEvent>;

export const ProviderEventsBody = z.object({ events: z.array(ProviderEvent).min(1).max(500) }).strict();

const ProviderEventsAccepted = z.object({
  received: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int(),
      status: z
        .enum(['applied', 'duplicate', 'suppressed_only'])
        .describe('suppressed_only: no lead with this address'),
      leadId: z.string().optional(),
    }),
  ),
});

const SUPPRESSION_REASON = {
  bounce: 'hard_bounce',
  complaint: 'complaint',
  unsubscribe: 'unsubscribed',
} as const;

export const providerRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    // This plugin's scope only: keep JSON bodies as the raw string so the signature is checked over
    // exactly the bytes that were signed; the body is parsed after the check (preValidation).
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
      done(null, body),
    );

    app.post(
      '/v1/providers/email-events',
      {
        schema: {
          summary:
            'Bounces, complaints and mailto unsubscribes from the email provider (HMAC-signed, see docs/email-delivery.md)',
          security: [],
          body: ProviderEventsBody,
          response: { 200: ProviderEventsAccepted, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
        },
        preValidation: async (req, reply) => {
          const field = `header.${PROVIDER_SIGNATURE_HEADER}`;
          const secret = ctx.providerSecret;
          if (!secret || (Array.isArray(secret) && secret.length === 0))
            return sendError(reply, 503, 'not_configured', [
              { field: 'server', message: 'no provider webhook secret is configured' },
            ]);
          const raw = typeof req.body === 'string' ? req.body : '';
          const header = req.headers[PROVIDER_SIGNATURE_HEADER];
          if (typeof header !== 'string' || !header)
            return sendError(reply, 401, 'unauthorized', [
              { field, message: 'signature header is required' },
            ]);
          try {
            verifyWebhook(raw, header, secret, {
              now: Date.now(),
              toleranceMs: DEFAULT_WEBHOOK_TOLERANCE_MS,
            });
          } catch (err) {
            if (!(err instanceof TokenError)) throw err;
            const message =
              err.code === 'expired'
                ? 'timestamp outside the 5-minute tolerance (replayed or clock skew)'
                : err.message;
            return sendError(reply, 401, 'unauthorized', [{ field, message }]);
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw);
          } catch {
            return sendError(reply, 400, 'invalid_request', [
              { field: 'body', message: 'the body is not valid JSON' },
            ]);
          }
          const unstorable = unstorableText(parsed);
          if (unstorable.length) return sendError(reply, 400, 'invalid_request', unstorable);
          req.body = parsed as typeof req.body;
        },
      },
      async (req) => {
        const results: z.infer<typeof ProviderEventsAccepted>['results'] = [];
        for (const [index, event] of req.body.events.entries()) {
          results.push({ index, ...(await apply(ctx, event, (msg, err) => req.log.warn({ err }, msg))) });
        }
        return { received: results.length, results };
      },
    );
  };

const bracketed = (id: string) => (id.startsWith('<') ? id : `<${id}>`);

async function apply(
  ctx: ApiContext,
  event: ProviderEvent,
  warn: (msg: string, err: unknown) => void,
): Promise<{ status: 'applied' | 'duplicate' | 'suppressed_only'; leadId?: string }> {
  const email = normaliseEmail(event.email);
  // First, and before we answer: no further marketing email to this address, whatever happens next.
  await ctx.db.suppression.upsert({
    where: { email },
    create: { email, reason: SUPPRESSION_REASON[event.type] },
    update: {},
  });

  const message = event.messageId
    ? await ctx.db.message.findUnique({ where: { smtpId: bracketed(event.messageId) } })
    : null;
  const lead = await ctx.db.lead.findUnique({ where: { email } });
  // A Message-ID that belongs to another lead is ignored: the address is what bounced.
  const ownMessage = message && lead && message.leadId === lead.id ? message : null;
  if (ownMessage && event.type === 'bounce' && ownMessage.status !== 'bounced') {
    await ctx.db.message.update({
      where: { id: ownMessage.id },
      data: {
        status: 'bounced',
        error: `provider bounce: ${event.reason ?? 'no reason given'}`.slice(0, 500),
      },
    });
  }
  if (!lead || lead.erasedAt) return { status: 'suppressed_only' };

  const dedupeKey =
    event.id ??
    createHash('sha256')
      .update(JSON.stringify([event.type, email, event.messageId ?? '']))
      .digest('hex');
  const clientEventId = `provider:${event.type}:${dedupeKey}`.slice(0, 200);
  const existing = await ctx.db.engagementEvent.findUnique({ where: { clientEventId } });
  if (existing) return { status: 'duplicate', leadId: lead.id };
  const now = Date.now();
  // Never in the future: scoring ignores events after "now".
  const occurredAt = Math.min(event.occurredAt ? Date.parse(event.occurredAt) : now, now);
  const properties: Record<string, string> = { source: 'provider' };
  if (event.reason) properties.reason = event.reason;
  if (ownMessage) properties.template = ownMessage.template;
  if (event.messageId) properties.messageId = bracketed(event.messageId);
  let rowId: string;
  try {
    const row = await ctx.db.engagementEvent.create({
      data: {
        leadId: lead.id,
        clientEventId,
        type: event.type,
        channel: 'email',
        occurredAt: new Date(occurredAt),
        properties,
      },
    });
    rowId = row.id;
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002') return { status: 'duplicate', leadId: lead.id };
    throw err;
  }
  // Stored before delivery: if Temporal is unreachable, the outbox delivers it later.
  await deliverEvent(ctx, rowId).catch((err) =>
    warn('provider event stored, delivery deferred to outbox', err),
  );
  return { status: 'applied', leadId: lead.id };
}
