// `npm start`: the whole engine on one machine with embedded defaults — Temporal dev server (UI
// included, persisted in .data/), PGlite as PostgreSQL, an SMTP capture server, the worker and the
// API. A second start reuses .data/. Ctrl-C stops everything in reverse order.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApiKey } from '../api/auth.ts';
import { buildApi } from '../api/server.ts';
import { AppEnv, parseEnv } from '../config/env.ts';
import { createDb } from '../db/client.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { applyMigrations } from '../db/migrate.ts';
import { startOutbox } from '../ingest/outbox.ts';
import { startMailCapture } from '../mail/capture.ts';
import { createApiMetrics } from '../observability/metrics.ts';
import { connectClient, connectWorker } from '../temporal/connection.ts';
import { startDevServer } from '../temporal/dev-server.ts';
import { createWorker } from '../worker/create.ts';
import { buildDeps } from '../worker/deps.ts';

interface DevSecrets {
  linkSecret: string;
  webhookSecret: string;
  /** Older .data/secrets.json files lack it: generated on the next start. */
  providerSecret?: string;
  apiKey?: string;
}

function loadSecrets(dir: string): DevSecrets {
  const file = join(dir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevSecrets;
  const secrets = {
    linkSecret: randomBytes(32).toString('hex'),
    webhookSecret: randomBytes(32).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export async function runDev(opts: {
  dataDir: string;
  apiPort: number;
  smtpPort: number;
  mailPort: number;
  temporalPort: number;
}) {
  Runtime.install({ logger: new DefaultLogger('WARN') }); // keep the console for the URLs and real problems
  mkdirSync(opts.dataDir, { recursive: true });
  const secrets = loadSecrets(opts.dataDir);
  const stops: (() => Promise<unknown>)[] = [];
  const say = (msg: string) => console.log(`[dev] ${msg}`);

  const temporal = await startDevServer({
    dbFile: join(opts.dataDir, 'temporal.db'),
    port: opts.temporalPort,
    uiPort: opts.temporalPort + 1000,
  });
  stops.push(temporal.stop);
  say(`Temporal dev server on ${temporal.address}`);

  const pg = await startEmbeddedPostgres({ dataDir: join(opts.dataDir, 'pglite') });
  stops.push(pg.stop);
  const migrated = await applyMigrations(pg.url);
  say(
    `embedded PostgreSQL (PGlite) ready; migrations applied: ${migrated.applied.length ? migrated.applied.join(', ') : 'none pending'}`,
  );

  const mail = await startMailCapture({
    port: opts.smtpPort,
    httpPort: opts.mailPort,
    dir: join(opts.dataDir, 'mail'),
  });
  stops.push(mail.stop);

  const env = parseEnv(AppEnv, {
    ...process.env,
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    SMTP_URL: `smtp://127.0.0.1:${mail.smtpPort}`,
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? `http://localhost:${opts.apiPort}`,
    LINK_SIGNING_SECRET: process.env.LINK_SIGNING_SECRET ?? secrets.linkSecret,
    WEBHOOK_SIGNING_SECRET: process.env.WEBHOOK_SIGNING_SECRET ?? secrets.webhookSecret,
    API_PORT: String(opts.apiPort),
  });
  // PGlite serves one connection at a time: one pooled connection for the whole process.
  const db = createDb(env.DATABASE_URL, { max: 1 });
  stops.push(() => db.$disconnect());

  if (!secrets.apiKey || !secrets.providerSecret) {
    secrets.apiKey ??= (await createApiKey(db, 'quick-start', ['read', 'write'])).key;
    secrets.providerSecret ??= randomBytes(32).toString('hex');
    writeFileSync(join(opts.dataDir, 'secrets.json'), JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }

  const workerConnection = await connectWorker(env);
  const deps = await buildDeps(env, db);
  const worker = await createWorker({
    connection: workerConnection,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    deps,
  });
  const workerRun = worker.run();
  stops.push(async () => {
    // The SDK's own SIGINT handler may already be draining the worker.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await workerConnection.close();
  });

  const client = await connectClient(env);
  stops.push(() => client.connection.close());
  const metrics = createApiMetrics(db);
  const ctx = {
    db,
    temporal: client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    linkSecret: env.LINK_SIGNING_SECRET,
    providerSecret: env.PROVIDER_WEBHOOK_SECRET ?? secrets.providerSecret,
    metrics,
  };
  const api = await buildApi(ctx, { logLevel: 'warn', metrics, dashboard: { templates: deps.templates } });
  await api.listen({ host: env.API_HOST, port: opts.apiPort });
  stops.push(() => api.close());
  const stopOutbox = startOutbox(ctx);
  stops.push(async () => stopOutbox());

  const apiUrl = `http://localhost:${opts.apiPort}`;
  console.log(`
  Lead-nurture engine is running.
    API            ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json, metrics: ${apiUrl}/metrics)
    Dashboard      ${apiUrl}/dashboard   (sign in with the API key)
    API key        ${secrets.apiKey}   (read + write; kept in ${opts.dataDir}/secrets.json)
    Temporal UI    ${temporal.uiUrl}
    Captured mail  ${mail.httpUrl}
    Data           ${opts.dataDir} (delete it to start over)

  Enrol a demo lead (welcome email appears under "Captured mail"):
    curl -s -X POST ${apiUrl}/v1/events -H 'content-type: application/json' -H 'x-api-key: ${secrets.apiKey}' \\
      -d '{"email":"ada@example.com","type":"content_download","profile":{"firstName":"Ada","company":"Analytical Engines"},"properties":{"asset":"ebook"}}'

  Then raise a hand (a sales handoff email arrives at once):
    curl -s -X POST ${apiUrl}/v1/events -H 'content-type: application/json' -H 'x-api-key: ${secrets.apiKey}' \\
      -d '{"email":"ada@example.com","type":"demo_request"}'

  Ctrl-C stops everything.
`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping ...');
    for (const stop of stops.reverse()) await stop().catch((err) => console.error(err));
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
