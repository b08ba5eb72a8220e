// Sustained event ingestion through the HTTP API (auth, validation, lead upsert, event row, signal,
// delivered mark) next to its floor measured in the same run: raw `client.workflow.signalWithStart`
// calls, same workflow type, same worker, same concurrency, on leads that exist in the database
// too. All real parts: the Temporal dev server, a throwaway PostgreSQL (or a fresh database on
// BENCH_DATABASE_URL's server), the production worker (`worker/main.ts`) in its own process as in
// production, and the API in this process. `npx tsx bench/run.ts ingest`
//
// Knobs: BENCH_EVENTS (2000), BENCH_LEADS (200), BENCH_CONCURRENCY (32).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createApiKey } from '../api/auth.ts';
import { buildApi } from '../api/server.ts';
import { createDb } from '../db/client.ts';
import { applyMigrations } from '../db/migrate.ts';
import type { EngagementEvent } from '../domain/events.ts';
import { mapLimit } from '../ingest/limit.ts';
import { startMailCapture } from '../mail/capture.ts';
import { databaseUrl, startThrowawayPostgres } from '../test/support/postgres.ts';
import { devServerEnv } from '../test/support/temporal.ts';
import { eventSignal, leadWorkflowId } from '../workflows/definitions.ts';
import type { leadWorkflow } from '../workflows/lead.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TYPES = [
  'page_view',
  'page_view',
  'page_view',
  'email_open',
  'email_click',
  'content_download',
  'webinar_registered',
] as const;

interface Run {
  name: string;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  failures: number;
}

async function measure(name: string, n: number, fn: (i: number) => Promise<boolean>): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const t = performance.now();
      const ok = await fn(i).catch(() => false);
      latencies.push(performance.now() - t);
      if (!ok) failures++;
    },
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { name, seconds, rate: n / seconds, p50: pct(0.5), p99: pct(0.99), failures };
}

export default async function run(): Promise<void> {
  const stops: Array<() => Promise<unknown>> = [];
  try {
    // PostgreSQL: a fresh database on BENCH_DATABASE_URL's server, or on a throwaway cluster.
    let adminUrl = process.env.BENCH_DATABASE_URL;
    if (!adminUrl) {
      const server = await startThrowawayPostgres();
      stops.push(() => server.stop());
      adminUrl = server.url;
    }
    const name = `lne_bench_${randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    stops.push(async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await c.end();
    });
    const url = databaseUrl(adminUrl, name);
    await applyMigrations(url);
    const db = createDb(url, { max: 20 });
    stops.push(() => db.$disconnect());

    const env = await devServerEnv();
    stops.push(() => env.teardown());
    const mail = await startMailCapture();
    stops.push(() => mail.stop());

    const taskQueue = `bench-${process.pid}`;
    const worker = startWorkerProcess({
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SMTP_URL: `smtp://127.0.0.1:${mail.smtpPort}`,
      LINK_SIGNING_SECRET: 'bench-link-secret-0123456789abcdef',
      WEBHOOK_SIGNING_SECRET: 'bench-webhook-secret-0123456789abcdef',
      LOG_LEVEL: 'error',
    });
    stops.push(() => stopProcess(worker));
    await waitForPoller(env.client, taskQueue);

    const ctx = {
      db,
      temporal: env.client,
      taskQueue,
      linkSecret: 'bench-link-secret-0123456789abcdef',
      searchAttributes: true,
    };
    const api = await buildApi(ctx, { logLevel: 'warn', rateLimit: false });
    const base = await api.listen({ host: '127.0.0.1', port: 0 });
    stops.push(() => api.close());
    const { key } = await createApiKey(db, 'bench', ['write']);

    const runId = randomUUID().slice(0, 6);
    const viaApi = (prefix: string) => async (i: number) => {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({
          email: `${prefix}${i % LEADS}@bench-${runId}.test`,
          type: TYPES[i % TYPES.length],
          properties: { path: `/p/${i % 17}` },
          clientEventId: `${prefix}-${runId}-${i}`,
        }),
      });
      const body = (await res.json()) as { delivered?: boolean };
      return res.status === 202 && body.delivered === true;
    };
    // The baseline's leads exist in the database too, so their journeys do the same work.
    const leadIds = async (prefix: string) => {
      const ids = Array.from({ length: LEADS }, () => randomUUID());
      await db.lead.createMany({
        data: ids.map((id, i) => ({ id, email: `${prefix}${i}@raw-${runId}.test` })),
      });
      return ids;
    };
    const viaSignal = (ids: string[]) => async (i: number) => {
      const leadId = ids[i % LEADS] as string;
      const event: EngagementEvent = {
        id: randomUUID(),
        type: TYPES[i % TYPES.length] as EngagementEvent['type'],
        occurredAt: Date.now(),
        properties: { path: `/p/${i % 17}` },
        scored: true,
      };
      await env.client.workflow.signalWithStart<typeof leadWorkflow, [EngagementEvent]>('leadWorkflow', {
        workflowId: leadWorkflowId(leadId),
        taskQueue,
        args: [
          {
            leadId,
            profile: { fields: {}, tags: [], emailDomain: `raw-${runId}.test` },
            searchAttributes: true,
          },
        ],
        signal: eventSignal,
        signalArgs: [event],
      });
      return true;
    };

    console.log(`${EVENTS} events across ${LEADS} leads, concurrency ${CONCURRENCY}; warming up...`);
    await measure('warm-up api', 200, viaApi('warm'));
    await measure('warm-up signal', 200, viaSignal(await leadIds('warm')));

    // Alternate the two so neither gets a quieter machine; report the better of two rounds each.
    const apiRuns: Run[] = [];
    const signalRuns: Run[] = [];
    for (const round of [1, 2]) {
      signalRuns.push(
        await measure(`raw signalWithStart #${round}`, EVENTS, viaSignal(await leadIds(`raw${round}-`))),
      );
      apiRuns.push(await measure(`HTTP POST /v1/events #${round}`, EVENTS, viaApi(`api${round}-`)));
    }
    const best = (runs: Run[]) => runs.reduce((a, b) => (b.rate > a.rate ? b : a));
    const rows = [...signalRuns, ...apiRuns].map((r) => ({
      task: r.name,
      'events/s': Math.round(r.rate).toLocaleString('en-US'),
      seconds: r.seconds.toFixed(2),
      'p50 ms': r.p50.toFixed(1),
      'p99 ms': r.p99.toFixed(1),
      failures: r.failures,
    }));
    console.table(rows);
    const apiBest = best(apiRuns);
    const rawBest = best(signalRuns);
    const stored = await db.engagementEvent.count({ where: { clientEventId: { startsWith: 'api' } } });
    const undelivered = await db.engagementEvent.count({ where: { deliveredAt: null } });
    console.log(
      `API ingestion ${Math.round(apiBest.rate)} events/s vs raw signalWithStart ${Math.round(rawBest.rate)} signals/s: ` +
        `ratio ${(apiBest.rate / rawBest.rate).toFixed(2)} (API rate / raw rate). ${stored} API events stored, ${undelivered} left undelivered.`,
    );
  } finally {
    for (const stop of stops.reverse())
      await stop().catch((err) => console.error('cleanup:', (err as Error).message));
  }
}

/** The production worker (`worker/main.ts`) in a child process, configured by environment. */
function startWorkerProcess(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  child.once('exit', (code, signal) => {
    if (code && code !== 0) console.error(`bench worker exited with ${code ?? signal}`);
  });
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT'); // the SDK drains the worker on SIGINT
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Resolves once a worker polls the task queue (the child needs a few seconds to bundle workflows). */
async function waitForPoller(
  client: import('@temporalio/client').Client,
  taskQueue: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.workflowService
      .describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: 1 })
      .catch(() => undefined);
    if ((res?.pollers?.length ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`no worker polled ${taskQueue} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
