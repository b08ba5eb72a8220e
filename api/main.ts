// `npm run api`: the HTTP API from environment settings.
import { loadAppEnv } from '../config/env.ts';
import { createDb } from '../db/client.ts';
import { startOutbox } from '../ingest/outbox.ts';
import { createApiMetrics } from '../observability/metrics.ts';
import { connectClient } from '../temporal/connection.ts';
import { buildApi } from './server.ts';

const env = loadAppEnv();
const db = createDb(env.DATABASE_URL);
const temporal = await connectClient(env);
const metrics = createApiMetrics(db);
const ctx = {
  db,
  metrics,
  temporal,
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  linkSecret: env.LINK_SIGNING_SECRET,
  providerSecret: env.PROVIDER_WEBHOOK_SECRET,
};
const app = await buildApi(ctx, {
  logLevel: env.LOG_LEVEL,
  metrics,
  dashboard: { secureCookie: env.PUBLIC_BASE_URL.startsWith('https:') },
});
const stopOutbox = startOutbox(ctx);
await app.listen({ host: env.API_HOST, port: env.API_PORT });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    stopOutbox();
    await app.close();
    await db.$disconnect();
    await temporal.connection.close();
    process.exit(0);
  });
}
