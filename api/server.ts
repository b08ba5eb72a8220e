// The HTTP front door (Fastify): JSON schemas from zod, OpenAPI generated from the same schemas,
// API keys on every write, body limits and per-key rate limits, email addresses redacted from logs.
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import type { Db } from '../db/client.ts';
import type { TemplateRegistry } from '../email/render.ts';
import type { IngestContext } from '../ingest/events.ts';
import type { ApiMetrics } from '../observability/metrics.ts';
import { rateLimitKey, requireScope } from './auth.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { errorHandler, sendError } from './errors.ts';
import { eventRoutes } from './routes/events.ts';
import { formRoutes } from './routes/forms.ts';
import { type ImportLimits, importRoutes } from './routes/imports.ts';
import { leadRoutes } from './routes/leads.ts';
import { linkRoutes } from './routes/links.ts';
import { providerRoutes } from './routes/provider.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export interface ApiContext extends IngestContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  linkSecret: string;
  /** Verifies signed bounce / complaint webhooks (current first, for rotation); unset: the route answers 503. */
  providerSecret?: string | readonly string[];
}

export interface ApiOptions {
  logLevel?: string;
  /** Where log lines go (default stdout); tests pass a stream to inspect them. */
  logStream?: DestinationStream;
  /** JSON and form bodies (CSV imports have their own limits). */
  bodyLimit?: number;
  /** Per API key (per address without one). */
  rateLimit?: { max: number; timeWindow: string } | false;
  imports?: ImportLimits;
  /** Serves `GET /metrics` (Prometheus text) and times every request; off when unset. */
  metrics?: ApiMetrics;
  /** The HTML dashboard at /dashboard (default on); `secureCookie` when served over https. */
  dashboard?: { secureCookie?: boolean; templates?: TemplateRegistry } | false;
}

/** Anything shaped like an email address, anywhere in a log line (messages, errors, URLs). */
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
export const scrubEmails = (line: string) => line.replace(EMAIL_IN_TEXT, '[email]');

export async function buildApi(ctx: ApiContext, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    logger: {
      level: opts.logLevel ?? 'info',
      redact: {
        paths: ['req.headers["x-api-key"]', 'req.headers.authorization', '*.email'],
        censor: '[redacted]',
      },
      // Belt and braces: no address reaches the log, whatever field or error message carries it.
      hooks: { streamWrite: scrubEmails },
      ...(opts.logStream ? { stream: opts.logStream } : {}),
    },
    // Router-level refusals (undecodable URL, over-long path parameter) in the stable shape too.
    frameworkErrors: (err, _req, reply) =>
      sendError(reply, 400, 'invalid_request', [
        {
          field: 'url',
          message:
            err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the URL is malformed',
        },
      ]),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, 'not_found', [
      { field: 'url', message: `no route ${req.method} ${req.url.split('?')[0]}` },
    ]),
  );

  await app.register(swagger, {
    openapi: {
      info: { title: 'Lead-nurture engine API', version: '1.0.0' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(formbody);
  if (opts.rateLimit !== false) {
    await app.register(rateLimit, {
      max: opts.rateLimit?.max ?? 600,
      timeWindow: opts.rateLimit?.timeWindow ?? '1 minute',
      // Per valid key, else per address.
      keyGenerator: rateLimitKey(ctx.db),
    });
    // The plugin appends its check after a route's own onRequest hooks (the key check); move it
    // first, so requests the key check refuses (bad or invented keys) are counted and limited too.
    app.addHook('onRoute', (route) => {
      const hooks = route.onRequest;
      if (Array.isArray(hooks) && hooks.length > 1) hooks.unshift(hooks.pop() as (typeof hooks)[number]);
    });
  }

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  const metrics = opts.metrics;
  if (metrics) {
    app.addHook('onResponse', async (req, reply) => {
      // The route template (`/v1/leads/:id`), never the URL: ids and tokens stay out of labels.
      const route = req.routeOptions.url ?? 'unmatched';
      metrics.observeRequest(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
    // Behind a read key (Prometheus: `authorization: { credentials: <key> }`): the API port is public.
    app.get(
      '/metrics',
      { schema: { hide: true }, onRequest: requireScope(ctx.db, 'read') },
      async (_req, reply) => {
        reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(eventRoutes(ctx));
  await app.register(formRoutes(ctx));
  await app.register(leadRoutes(ctx));
  await app.register(importRoutes(ctx, opts.imports));
  await app.register(linkRoutes(ctx));
  await app.register(providerRoutes(ctx));
  await app.register(webhookRoutes(ctx));
  if (opts.dashboard !== false) {
    const { templates, secureCookie } = opts.dashboard ?? {};
    await app.register(dashboardRoutes({ ...ctx, templates }, { secureCookie }));
  }
  return app;
}
