// The HTTP front door (Fastify): JSON schemas from zod, OpenAPI generated from the same schemas,
// API keys on every write, body limits and per-key rate limits, email addresses redacted from logs.
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Db } from '../db/client.ts';
import type { IngestContext } from '../ingest/events.ts';
import { errorHandler, sendError } from './errors.ts';
import { eventRoutes } from './routes/events.ts';
import { leadRoutes } from './routes/leads.ts';
import { linkRoutes } from './routes/links.ts';
import { providerRoutes } from './routes/provider.ts';

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
  bodyLimit?: number;
  rateLimit?: { max: number; timeWindow: string } | false;
}

export async function buildApi(ctx: ApiContext, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    logger: {
      level: opts.logLevel ?? 'info',
      redact: { paths: ['req.headers["x-api-key"]', 'req.headers.authorization', '*.email'], censor: '[redacted]' },
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', [{ field: 'url', message: `no route ${req.method} ${req.url.split('?')[0]}` }]));

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
      // Per key when one is presented, else per address.
      keyGenerator: (req) => (req.headers['x-api-key'] as string | undefined) ?? req.ip,
    });
  }

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(eventRoutes(ctx));
  await app.register(leadRoutes(ctx));
  await app.register(linkRoutes(ctx));
  await app.register(providerRoutes(ctx));
  return app;
}
