// The dashboard: read-only HTML pages for marketing and sales (funnel, leads, journeys, sequences,
// template previews) at /dashboard. Signed in with a `read` API key, then a signed HttpOnly cookie.
// No JavaScript; a strict Content-Security-Policy; template previews in a sandboxed iframe.
import cookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { STAGES } from '../../domain/lifecycle/index.ts';
import { loadTemplates, type TemplateRegistry } from '../../email/render.ts';
import type { ApiContext } from '../server.ts';
import { DeliveryStatus, webhookDeliveries } from '../webhook-log.ts';
import { leadDetail, leadsPage, overview, sequencesSummary } from './queries.ts';
import { SESSION_COOKIE, SESSION_MS, sessionKeyId, signIn } from './session.ts';
import { type PageName, renderPage } from './views.ts';

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// Email HTML in the preview frame: its own inline styles and images, nothing else, no scripts.
const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; frame-ancestors 'self'";

const hide = { hide: true } as const;

export const dashboardRoutes =
  (
    ctx: ApiContext & { templates?: TemplateRegistry },
    opts: { secureCookie?: boolean } = {},
  ): FastifyPluginAsyncZod =>
  async (app) => {
    await app.register(cookie);
    let templates: Promise<TemplateRegistry> | undefined = ctx.templates
      ? Promise.resolve(ctx.templates)
      : undefined;
    const registry = () => {
      templates ??= loadTemplates();
      return templates;
    };

    const html = (reply: FastifyReply, name: PageName, title: string, data: object, status = 200) =>
      reply
        .code(status)
        .header('content-security-policy', CSP)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8')
        .send(renderPage(name, title, data));

    /** Signed in, or sent to the sign-in page. */
    const signedIn = async (req: FastifyRequest, reply: FastifyReply) => {
      const keyId = await sessionKeyId(ctx.db, ctx.linkSecret, req.cookies[SESSION_COOKIE]);
      if (!keyId) return reply.redirect('/dashboard/login', 303);
    };

    app.get('/dashboard/login', { schema: hide }, async (_req, reply) => html(reply, 'login', 'Sign in', {}));

    app.post(
      '/dashboard/login',
      { schema: { ...hide, body: z.object({ key: z.string().max(500).default('') }) } },
      async (req, reply) => {
        const result = await signIn(ctx.db, ctx.linkSecret, req.body.key.trim());
        if (!result.ok) return html(reply, 'login', 'Sign in', { error: result.message }, 401);
        reply.setCookie(SESSION_COOKIE, result.token, {
          path: '/dashboard',
          httpOnly: true,
          sameSite: 'strict',
          secure: opts.secureCookie ?? false,
          maxAge: SESSION_MS / 1000,
        });
        return reply.redirect('/dashboard', 303);
      },
    );

    app.post('/dashboard/logout', { schema: hide }, async (_req, reply) =>
      reply.clearCookie(SESSION_COOKIE, { path: '/dashboard' }).redirect('/dashboard/login', 303),
    );

    app.get('/dashboard', { schema: hide, onRequest: signedIn }, async (_req, reply) =>
      html(reply, 'overview', 'Overview', await overview(ctx.db)),
    );

    app.get(
      '/dashboard/leads',
      {
        schema: {
          ...hide,
          querystring: z.object({
            stage: z.enum(STAGES).optional(),
            page: z.coerce.number().int().min(1).max(100_000).default(1),
          }),
        },
        onRequest: signedIn,
      },
      async (req, reply) => {
        const { stage, page } = req.query;
        const data = await leadsPage(ctx.db, { stage, page });
        const link = (p: number) =>
          `/dashboard/leads?${new URLSearchParams({ ...(stage ? { stage } : {}), page: String(p) })}`;
        return html(reply, 'leads', 'Leads', {
          ...data,
          stage,
          stages: STAGES,
          prev: page > 1 ? link(page - 1) : undefined,
          next: page < data.pages ? link(page + 1) : undefined,
        });
      },
    );

    app.get(
      '/dashboard/leads/:id',
      { schema: { ...hide, params: z.object({ id: z.string().uuid() }) }, onRequest: signedIn },
      async (req, reply) => {
        const detail = await leadDetail(ctx.db, ctx.temporal, req.params.id);
        if (!detail) return reply.code(404).type('text/plain').send('No such lead');
        return html(reply, 'lead', detail.lead.name, detail);
      },
    );

    app.get(
      '/dashboard/webhooks',
      {
        schema: {
          ...hide,
          querystring: z.object({ status: DeliveryStatus.optional() }),
        },
        onRequest: signedIn,
      },
      async (req, reply) => {
        const { status } = req.query;
        const deliveries = await webhookDeliveries(ctx.db, { status, limit: 100 });
        return html(reply, 'webhooks', 'Webhooks', { deliveries, status, statuses: DeliveryStatus.options });
      },
    );

    app.get('/dashboard/sequences', { schema: hide, onRequest: signedIn }, async (_req, reply) =>
      html(reply, 'sequences', 'Sequences', { sequences: await sequencesSummary(ctx.temporal) }),
    );

    app.get(
      '/dashboard/templates',
      {
        schema: { ...hide, querystring: z.object({ id: z.string().max(100).optional() }) },
        onRequest: signedIn,
      },
      async (req, reply) => {
        const reg = await registry();
        const ids = reg.ids().sort();
        const current = req.query.id && reg.has(req.query.id) ? req.query.id : ids[0];
        const preview = current ? reg.preview(current) : undefined;
        return html(reply, 'templates', 'Templates', {
          ids,
          current,
          subject: preview?.subject,
          preheader: preview?.preheader,
          text: preview?.text,
          variables: current ? reg.variables(current) : [],
        });
      },
    );

    app.get(
      '/dashboard/templates/:id/preview',
      { schema: { ...hide, params: z.object({ id: z.string().max(100) }) }, onRequest: signedIn },
      async (req, reply) => {
        const reg = await registry();
        if (!reg.has(req.params.id)) return reply.code(404).type('text/plain').send('No such template');
        return reply
          .header('content-security-policy', PREVIEW_CSP)
          .header('cache-control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(reg.preview(req.params.id).html);
      },
    );
  };
