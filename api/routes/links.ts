// Links that arrive from email clients: open pixel, click redirect, one-click unsubscribe and
// sales' one-click feedback. All carry signed, expiring tokens; a forged, tampered, expired or
// wrong-kind token touches nothing (no event row, no workflow signal).
//
// - GET  /t/o/:token  open pixel: always the same 1x1 GIF; machine opens (privacy proxies, scanners,
//                     opens within seconds of delivery) are stored with scored=false
// - GET  /t/c/:token  click: 302 to the URL inside the token (never a URL from the query string)
// - GET  /u/:token    confirmation page (GET never unsubscribes: link scanners prefetch GETs)
// - POST /u/:token    RFC 8058 one-click ("List-Unsubscribe=One-Click") and the page's button: the
//                     suppression row is written before we answer, then the workflow is told
// - GET  /v1/feedback/:token  sales' accept / reject / won / lost from the handoff email
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FeedbackToken, TrackingToken } from '../../activities/links.ts';
import { machineOpenReason } from '../../domain/delivery/machine-opens.ts';
import { deliverEvent } from '../../ingest/events.ts';
import { TokenError, verifyToken } from '../../security/tokens.ts';
import { feedbackUpdate, leadWorkflowId } from '../../workflows/definitions.ts';
import { page } from '../pages.ts';
import type { ApiContext } from '../server.ts';
import { updateRefusal } from './leads.ts';

// Tokens are longer than the router's 100-character limit on a `:param`, so the routes capture the
// rest of the path (`*`, not length-limited) and the schema bounds it instead.
const TokenPath = z.object({ '*': z.string().max(4096) });

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export const linkRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    // RFC 8058 lets mail clients send the one-click body as multipart/form-data too; we only need
    // the token in the URL, so accept such bodies without parsing them (this plugin's scope only).
    app.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_req, _body, done) => done(null, {}),
    );

    const verify = <T>(token: string, kind: string): T | undefined => {
      try {
        const payload = verifyToken<T & { k: string }>(token, ctx.linkSecret);
        return payload.k === kind ? payload : undefined;
      } catch (err) {
        if (err instanceof TokenError) return undefined;
        throw err;
      }
    };

    /** Records the event and signals the workflow; tracking must never fail the recipient's request. */
    const track = async (
      t: TrackingToken,
      type: 'email_open' | 'email_click',
      classify: (sentAt?: number) => Record<string, string>,
    ) => {
      try {
        const message = await ctx.db.message.findUnique({ where: { id: t.m } });
        if (!message || message.leadId !== t.l) return;
        const extra = classify(message.sentAt?.getTime());
        const row = await ctx.db.engagementEvent.create({
          data: {
            leadId: t.l,
            type,
            channel: 'email',
            scored: !extra.machine,
            occurredAt: new Date(),
            properties: { template: message.template, messageId: message.id, ...extra },
          },
        });
        await deliverEvent(ctx, row.id).catch((err) =>
          app.log.warn({ err }, 'event stored, delivery deferred to outbox'),
        );
      } catch (err) {
        app.log.error({ err }, 'tracking failed');
      }
    };

    app.get('/t/o/*', { schema: { params: TokenPath, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params['*'], 'open');
      if (t) {
        const userAgent = req.headers['user-agent'];
        await track(t, 'email_open', (sentAt): Record<string, string> => {
          const machine = machineOpenReason({ userAgent, sentAt, at: Date.now() });
          return machine ? { machine } : {};
        });
      }
      // Same answer for good and bad tokens: a pixel reveals nothing.
      return reply.header('cache-control', 'no-store, private').type('image/gif').send(PIXEL);
    });

    app.get('/t/c/*', { schema: { params: TokenPath, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params['*'], 'click');
      if (!t?.u || !/^https?:\/\//i.test(t.u))
        return reply.code(400).type('text/html').send(page('Link expired', 'This link is no longer valid.'));
      const url = t.u;
      const userAgent = req.headers['user-agent'];
      await track(t, 'email_click', () => {
        // A click is deliberate: only known scanners and agents are discounted, not fast clicks.
        const machine = machineOpenReason({ userAgent, at: Date.now() });
        return { url, ...(machine ? { machine } : {}) };
      });
      return reply.header('cache-control', 'no-store, private').redirect(url, 302);
    });

    const unsubscribe = async (t: TrackingToken) => {
      const lead = await ctx.db.lead.findUnique({ where: { id: t.l } });
      if (!lead || lead.erasedAt) return; // erased: nothing left to email
      if (lead.email) {
        // Written before we answer: even if the workflow is unreachable, no further send passes the check.
        await ctx.db.suppression.upsert({
          where: { email: lead.email },
          create: { email: lead.email, reason: 'unsubscribed' },
          update: {},
        });
      }
      // One unsubscribe event per message link: a client retrying the POST does not stack penalties.
      const row = await ctx.db.engagementEvent
        .create({
          data: {
            leadId: t.l,
            clientEventId: `unsubscribe:${t.m}`,
            type: 'unsubscribe',
            channel: 'email',
            occurredAt: new Date(),
            properties: { messageId: t.m },
          },
        })
        .catch((err: { code?: string }) => {
          if (err.code === 'P2002') return undefined;
          throw err;
        });
      // The event ends the sequence in the workflow (and is scored); if Temporal is unreachable the
      // outbox delivers it later, and the suppression row already stops every send meanwhile.
      if (row)
        await deliverEvent(ctx, row.id).catch((err) =>
          app.log.warn({ err }, 'unsubscribe stored; workflow signal deferred to outbox'),
        );
    };

    app.get('/u/*', { schema: { params: TokenPath, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params['*'], 'unsub');
      if (!t)
        return reply
          .code(400)
          .type('text/html')
          .send(
            page('Link expired', 'This unsubscribe link is not valid. Reply to any email to unsubscribe.'),
          );
      return reply
        .header('cache-control', 'no-store, private')
        .type('text/html')
        .send(
          page(
            'Unsubscribe',
            'Do you want to stop receiving these emails?',
            `<form method="post"><button type="submit" id="confirm">Unsubscribe</button></form>`,
          ),
        );
    });

    // RFC 8058: mail clients POST "List-Unsubscribe=One-Click" here; the confirmation form posts too.
    app.post('/u/*', { schema: { params: TokenPath, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params['*'], 'unsub');
      if (!t)
        return reply
          .code(400)
          .type('text/html')
          .send(page('Link expired', 'This unsubscribe link is not valid.'));
      await unsubscribe(t);
      return reply
        .header('cache-control', 'no-store, private')
        .type('text/html')
        .send(page('Unsubscribed', 'You will not receive further emails from us.'));
    });

    app.get('/v1/feedback/*', { schema: { params: TokenPath, hide: true } }, async (req, reply) => {
      const t = verify<FeedbackToken>(req.params['*'], 'feedback');
      if (!t)
        return reply
          .code(400)
          .type('text/html')
          .send(page('Link not valid', 'This feedback link is forged or expired.'));
      const kind = t.f;
      try {
        const state = await ctx.temporal.workflow
          .getHandle(leadWorkflowId(t.l))
          .executeUpdate(feedbackUpdate, {
            args: [
              {
                kind,
                actor: 'email-link',
                handoffId: t.h,
                reason: kind === 'reject' || kind === 'lost' ? `${kind} via email link` : undefined,
              },
            ],
          });
        return reply
          .type('text/html')
          .send(page('Thanks', `Recorded: ${kind}. The lead is now ${state.stage}.`));
      } catch (err) {
        const refusal = updateRefusal(err);
        if (refusal) return reply.code(409).type('text/html').send(page('Already answered', refusal.message));
        throw err;
      }
    });
  };
