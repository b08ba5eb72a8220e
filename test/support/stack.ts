// The whole engine in one test process, on real parts: PostgreSQL (a fresh database per file),
// Temporal (time-skipping or dev server), a real SMTP server, the worker and the HTTP API.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import type { ActivityDeps } from '../../activities/index.ts';
import { createActivities } from '../../activities/index.ts';
import { createApiKey } from '../../api/auth.ts';
import { type ApiOptions, buildApi } from '../../api/server.ts';
import { createDb, type Db } from '../../db/client.ts';
import type { DeliveryPolicy } from '../../domain/delivery/policy.ts';
import { loadTemplates } from '../../email/render.ts';
import { type RejectRecipient, startMailCapture } from '../../mail/capture.ts';
import { createApiMetrics } from '../../observability/metrics.ts';
import { bundleWorkflows } from '../../worker/create.ts';
import { createTestDatabase } from './postgres.ts';
import { devServerEnv, timeSkippingEnv } from './temporal.ts';

export const LINK_SECRET = 'test-link-secret-0123456789abcdef';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789abcdef';
/** Signs bounce / complaint webhooks sent to POST /v1/providers/email-events. */
export const PROVIDER_SECRET = 'test-provider-secret-0123456789abcdef';

let bundle: Awaited<ReturnType<typeof bundleWorkflows>> | undefined;
export async function workflowBundle() {
  bundle ??= await bundleWorkflows();
  return bundle;
}

export interface StackOptions {
  temporal?: 'time-skipping' | 'dev';
  policy?: DeliveryPolicy;
  salesWebhookUrl?: string;
  rejectRecipient?: RejectRecipient;
  taskQueue?: string;
  /** API rate limit (default: off in tests). */
  rateLimit?: ApiOptions['rateLimit'];
}

export async function startStack(opts: StackOptions = {}) {
  const database = await createTestDatabase();
  const db: Db = createDb(database.url);
  const mail = await startMailCapture({ rejectRecipient: opts.rejectRecipient });
  const env: TestWorkflowEnvironment =
    opts.temporal === 'dev' ? await devServerEnv() : await timeSkippingEnv();
  const taskQueue = opts.taskQueue ?? `test-${process.pid}`;
  const baseUrlHolder = { url: 'http://127.0.0.1:0' };

  const deps: ActivityDeps = {
    db,
    mailer: nodemailer.createTransport({
      host: '127.0.0.1',
      port: mail.smtpPort,
      secure: false,
      ignoreTLS: true,
      pool: true,
    }),
    templates: await loadTemplates(),
    policy: opts.policy ?? { quietHours: null, frequencyCap: null },
    salesTeam: {
      reps: [{ email: 'rep@sales.test', territories: [] }],
      manager: 'boss@sales.test',
      accounts: {},
    },
    settings: {
      get publicBaseUrl() {
        return baseUrlHolder.url;
      },
      linkSecret: LINK_SECRET,
      webhookSecret: WEBHOOK_SECRET,
      salesWebhookUrl: opts.salesWebhookUrl,
      mailFrom: 'Acme Growth <hello@acme.test>',
      postalAddress: 'Acme Inc., 1 Example Street',
    },
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
  const workerRun = worker.run();

  const metrics = createApiMetrics(db);
  const ctx = {
    db,
    temporal: env.client,
    taskQueue,
    linkSecret: LINK_SECRET,
    providerSecret: PROVIDER_SECRET,
    searchAttributes: opts.temporal === 'dev',
    metrics,
  };
  const api = await buildApi(ctx, {
    logLevel: 'silent',
    rateLimit: opts.rateLimit ?? false,
    metrics,
    dashboard: { templates: deps.templates },
  });
  const address = await api.listen({ host: '127.0.0.1', port: 0 });
  baseUrlHolder.url = address;
  const { key: apiKey } = await createApiKey(db, 'tests', ['read', 'write']);
  const { key: readKey } = await createApiKey(db, 'tests-read', ['read']);

  /** POSTs JSON (or a raw string) and returns the status with the parsed body. */
  const post = async (
    path: string,
    body: unknown,
    key: string | null = apiKey,
  ): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${address}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  return {
    db,
    mail,
    env,
    deps,
    worker,
    api,
    url: address,
    apiKey,
    readKey,
    taskQueue,
    ctx,
    post,
    async stop() {
      await api.close();
      worker.shutdown();
      await workerRun;
      await env.teardown();
      await mail.stop();
      await db.$disconnect();
      await database.drop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** Polls until `fn` returns a truthy value (for effects that happen asynchronously in the worker). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
