// Links that arrive from email clients: open pixel, click redirect, one-click unsubscribe and
// sales' one-click feedback. All carry signed, expiring tokens; a bad token touches nothing.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FeedbackToken, TrackingToken } from '../../activities/links.ts';
import { machineOpenReason } from '../../domain/delivery/machine-opens.ts';
import { deliverEvent } from '../../ingest/events.ts';
import { TokenError, verifyToken } from '../../security/tokens.ts';
import { feedbackUpdate, leadWorkflowId, unsubscribeSignal } from '../../workflows/definitions.ts';
import { page } from '../pages.ts';
import { TokenParams } from '../schemas.ts';
import type { ApiContext } from '../server.ts';
import { updateRefusal } from './leads.ts';

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export const linkRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
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
    const track = async (t: TrackingToken, type: 'email_open' | 'email_click', extra: { scored: boolean; properties: Record<string, string> }) => {
      const message = await ctx.db.message.findUnique({ where: { id: t.m } });
      if (!message || message.leadId !== t.l) return;
      const row = await ctx.db.engagementEvent.create({
        data: { leadId: t.l, type, channel: 'email', scored: extra.scored, occurredAt: new Date(), properties: { template: message.template, ...extra.properties } },
      });
      await deliverEvent(ctx, row.id).catch((err) => app.log.warn({ err }, 'event stored, delivery deferred to outbox'));
    };

    app.get('/t/o/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params.token, 'open');
      if (t) {
        const message = await ctx.db.message.findUnique({ where: { id: t.m } });
        const machine = machineOpenReason({ userAgent: req.headers['user-agent'], sentAt: message?.sentAt?.getTime(), at: Date.now() });
        await track(t, 'email_open', { scored: !machine, properties: machine ? { machine } : {} });
      }
      // Same answer for good and bad tokens: a pixel reveals nothing.
      return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
    });

    app.get('/t/c/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params.token, 'click');
      if (!t?.u || !/^https?:\/\//.test(t.u)) return reply.code(400).type('text/html').send(page('Link expired', 'This link is no longer valid.'));
      const scanner = machineOpenReason({ userAgent: req.headers['user-agent'], at: Date.now() });
      await track(t, 'email_click', { scored: !scanner || scanner === 'too_soon_after_delivery', properties: { url: t.u, ...(scanner ? { machine: scanner } : {}) } });
      return reply.redirect(t.u, 302);
    });

    const unsubscribe = async (t: TrackingToken) => {
      const lead = await ctx.db.lead.findUnique({ where: { id: t.l } });
      if (lead?.email) {
        // Written before we answer: even if the workflow is unreachable, no further send passes the check.
        await ctx.db.suppression.upsert({ where: { email: lead.email }, create: { email: lead.email, reason: 'unsubscribed' }, update: {} });
      }
      await ctx.db.engagementEvent.create({ data: { leadId: t.l, type: 'unsubscribe', channel: 'email', occurredAt: new Date(), deliveredAt: new Date() } });
      await ctx.temporal.workflow
        .getHandle(leadWorkflowId(t.l))
        .signal(unsubscribeSignal, { reason: 'one-click' })
        .catch((err) => app.log.warn({ err }, 'unsubscribe stored; workflow not signalled'));
    };

    app.get('/u/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params.token, 'unsub');
      if (!t) return reply.code(400).type('text/html').send(page('Link expired', 'This unsubscribe link is not valid. Reply to any email to unsubscribe.'));
      return reply.type('text/html').send(
        page('Unsubscribe', 'Do you want to stop receiving these emails?', `<form method="post"><button type="submit" id="confirm">Unsubscribe</button></form>`),
      );
    });

    // RFC 8058: mail clients POST "List-Unsubscribe=One-Click" here; the confirmation form posts too.
    app.post('/u/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const t = verify<TrackingToken>(req.params.token, 'unsub');
      if (!t) return reply.code(400).type('text/html').send(page('Link expired', 'This unsubscribe link is not valid.'));
      await unsubscribe(t);
      return reply.type('text/html').send(page('Unsubscribed', 'You will not receive further emails from us.'));
    });

    app.get('/v1/feedback/:token', { schema: { params: TokenParams, hide: true } }, async (req, reply) => {
      const t = verify<FeedbackToken>(req.params.token, 'feedback');
      if (!t) return reply.code(400).type('text/html').send(page('Link not valid', 'This feedback link is forged or expired.'));
      const kind = t.f;
      try {
        const state = await ctx.temporal.workflow.getHandle(leadWorkflowId(t.l)).executeUpdate(feedbackUpdate, {
          args: [{ kind, actor: 'email-link', handoffId: t.h, reason: kind === 'reject' || kind === 'lost' ? `${kind} via email link` : undefined }],
        });
        return reply.type('text/html').send(page('Thanks', `Recorded: ${kind}. The lead is now ${state.stage}.`));
      } catch (err) {
        const refusal = updateRefusal(err);
        if (refusal) return reply.code(409).type('text/html').send(page('Already answered', refusal.message));
        throw err;
      }
    });
  };
