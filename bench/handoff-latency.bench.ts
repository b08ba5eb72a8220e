// Hand-raiser latency, end to end on real parts and in real time: a `demo_request` POSTed to
// /v1/events → the sales notification email arriving at the SMTP capture. Next to it, measured in the
// same run on the same Temporal dev server, the raw Temporal floor: signal sent → activity started
// (bench/baseline/workflows.ts, its own worker and task queue).
//
// Parts: throwaway PostgreSQL (migrations applied), the SMTP capture, the Temporal dev server (not
// time skipping), a worker with the real activities (built as test/support/stack.ts builds it) and
// the HTTP API on a local port. Setup per lead (not timed): a `content_download` POST, its welcome
// email captured, and the workflow parked at its first wait. Each side first runs a small warm-up,
// one at a time, that is printed and discarded.
//
// Env: HANDOFF_N (default 40 measured samples per side), HANDOFF_CONCURRENCY (default 1: one lead
// at a time; the baseline uses the same), HANDOFF_WARMUP (default 3 per side).
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { type ActivityDeps, createActivities } from '../activities/index.ts';
import { createApiKey } from '../api/auth.ts';
import { buildApi } from '../api/server.ts';
import { createDb } from '../db/client.ts';
import { applyMigrations } from '../db/migrate.ts';
import { loadTemplates } from '../email/render.ts';
import { startMailCapture } from '../mail/capture.ts';
import { databaseUrl, startThrowawayPostgres } from '../test/support/postgres.ts';
import { devServerEnv } from '../test/support/temporal.ts';
import { bundleWorkflows } from '../worker/create.ts';
import { handoffWorkflowId, leadWorkflowId, stateQuery } from '../workflows/definitions.ts';
import { type BaselineActivities, baselineWorkflow, goSignal, readyQuery } from './baseline/workflows.ts';

const envInt = (name: string, fallback: number, min = 1) => {
  const v = Number.parseInt(process.env[name] ?? '', 10);
  return Number.isInteger(v) && v >= min ? v : fallback;
};
const N = envInt('HANDOFF_N', 40);
const CONCURRENCY = envInt('HANDOFF_CONCURRENCY', 1);
const WARMUP = envInt('HANDOFF_WARMUP', 3, 0);
const REP = 'rep@sales.test';
const SETUP_CONCURRENCY = 8;
const TIMEOUT_MS = 30_000;
const quietLogger = { info() {}, debug() {}, trace() {}, warn: console.warn, error: console.error, log() {} };

/** Wall-clock ms with sub-ms resolution (comparable with Temporal's event times on this machine). */
const wallNow = () => performance.timeOrigin + performance.now();

/** Runs fn(0..count-1), at most `concurrency` at a time; results in index order. */
async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return out;
}

/** Nearest-rank percentile (with 40 samples, p99 is the maximum). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

function stats(samples: readonly number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
  };
}

const ms = (v: number) => v.toFixed(1);

async function until<T>(fn: () => Promise<T | undefined | false>, what: string): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Ts = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
/** A history event time in ms, keeping the sub-ms part. */
const tsMs = (ts: Ts) => (ts ? Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6 : Number.NaN);

interface Sample {
  leadId: string;
  /** performance.now() just before the POST. */
  t0: number;
  /** Wall clock of t0, to line up with Temporal's event times. */
  t0Wall: number;
  responded: number;
  arrived: number;
}

export default async function run(): Promise<void> {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') }); // no worker chatter; warnings still shown
  } catch {
    // Already installed by an earlier bench in this process.
  }
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ');
  console.log(
    `host: ${availableParallelism()} CPUs, load average ${load()} (1/5/15 min) at start; N=${N} per side, ` +
      `concurrency ${CONCURRENCY}, warm-up ${WARMUP} per side`,
  );
  const cleanups: Array<[string, () => Promise<unknown>]> = [];
  const setupStart = performance.now();
  try {
    // ---- parts ----
    const postgres = await startThrowawayPostgres();
    cleanups.push(['postgres', () => postgres.stop()]);
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE lne_bench');
    await admin.end();
    const url = databaseUrl(postgres.url, 'lne_bench');
    await applyMigrations(url);
    const db = createDb(url);
    cleanups.push(['db', () => db.$disconnect()]);

    const mail = await startMailCapture();
    cleanups.push(['mail capture', () => mail.stop()]);

    const [env, engineBundle, baselineBundle] = await Promise.all([
      devServerEnv(),
      bundleWorkflows(),
      bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('./baseline/workflows.ts', import.meta.url)),
        logger: quietLogger,
      }),
    ]);
    cleanups.push(['temporal dev server', () => env.teardown()]);
    const client: Client = env.client;

    const mailer = nodemailer.createTransport({
      host: '127.0.0.1',
      port: mail.smtpPort,
      secure: false,
      ignoreTLS: true,
      pool: true,
    });
    cleanups.push(['mailer', async () => mailer.close()]);
    const base = { url: 'http://127.0.0.1:0' };
    const deps: ActivityDeps = {
      db,
      mailer,
      templates: await loadTemplates(),
      policy: { quietHours: null, frequencyCap: null },
      salesTeam: { reps: [{ email: REP, territories: [] }], manager: 'boss@sales.test', accounts: {} },
      settings: {
        get publicBaseUrl() {
          return base.url;
        },
        linkSecret: 'bench-link-secret-0123456789abcdef',
        webhookSecret: 'bench-webhook-secret-0123456789abcdef',
        mailFrom: 'Acme Growth <hello@acme.test>',
        postalAddress: 'Acme Inc., 1 Example Street',
      },
    };
    const taskQueue = `bench-engine-${process.pid}`;
    const engineWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: engineBundle,
      activities: createActivities(deps),
    });
    const engineRun = engineWorker.run();
    cleanups.push([
      'engine worker',
      async () => {
        engineWorker.shutdown();
        await engineRun;
      },
    ]);

    // The baseline activity stops the clock of sample i the moment it starts.
    const started = new Map<number, (at: number) => void>();
    const baselineActivities: BaselineActivities = {
      async fired({ i }) {
        started.get(i)?.(performance.now());
      },
    };
    const baselineQueue = `bench-baseline-${process.pid}`;
    const baselineWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: baselineQueue,
      workflowBundle: baselineBundle,
      activities: baselineActivities,
    });
    const baselineRun = baselineWorker.run();
    cleanups.push([
      'baseline worker',
      async () => {
        baselineWorker.shutdown();
        await baselineRun;
      },
    ]);

    const api = await buildApi(
      { db, temporal: client, taskQueue, linkSecret: deps.settings.linkSecret, searchAttributes: true },
      { logLevel: 'silent', rateLimit: false },
    );
    base.url = await api.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(['api', () => api.close()]);
    const { key } = await createApiKey(db, 'bench', ['read', 'write']);
    const post = async (body: unknown) => {
      const res = await fetch(`${base.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${text}`);
      return JSON.parse(text) as { leadId: string; delivered: boolean };
    };

    // ---- setup (not timed): content download → welcome email → parked at 'first-engagement' ----
    const total = WARMUP + N;
    const pad = (i: number) => String(i).padStart(3, '0');
    const leads = Array.from({ length: total }, (_, i) => ({
      email: `bench-${i}@corp.test`,
      // Unique, and never a substring of another lead's company: the sales email is matched on it.
      company: `BenchCorp ${pad(i)}`,
      leadId: '',
    }));
    await pool(total, SETUP_CONCURRENCY, async (i) => {
      const lead = leads[i] as (typeof leads)[number];
      const welcome = mail.waitFor((m) => m.to.includes(lead.email), { timeoutMs: TIMEOUT_MS });
      const res = await post({
        email: lead.email,
        type: 'content_download',
        properties: { asset: 'ebook' },
        profile: {
          firstName: `Bench${pad(i)}`,
          company: lead.company,
          title: 'VP Engineering',
          seniority: 'vp',
          companySize: 250,
        },
      });
      if (!res.delivered) throw new Error(`setup event for ${lead.email} was stored but not delivered`);
      lead.leadId = res.leadId;
      await welcome;
      const handle = client.workflow.getHandle(leadWorkflowId(res.leadId));
      await until(
        async () => (await handle.query(stateQuery)).sequence?.step === 'first-engagement',
        `${lead.email} parked at its first wait`,
      );
    });
    console.log(
      `setup: ${total} leads, welcome email captured, parked at 'first-engagement' ` +
        `(${((performance.now() - setupStart) / 1000).toFixed(1)} s with postgres, dev server and bundles)`,
    );

    // ---- baseline: signal sent → activity started, on a parked workflow ----
    const baselineSample = async (i: number): Promise<number> => {
      const handle = await client.workflow.start(baselineWorkflow, {
        workflowId: `bench-baseline-${process.pid}-${i}`,
        taskQueue: baselineQueue,
        args: [i],
      });
      await until(() => handle.query(readyQuery), `baseline workflow ${i} parked`);
      const activityStarted = new Promise<number>((resolve) => started.set(i, resolve));
      const t0 = performance.now();
      await handle.signal(goSignal);
      const t1 = await activityStarted;
      started.delete(i);
      await handle.result();
      return t1 - t0;
    };
    const baselineWarmup = await pool(WARMUP, 1, (i) => baselineSample(i));
    const baseline = await pool(N, CONCURRENCY, (i) => baselineSample(WARMUP + i));

    // ---- engine: POST demo_request → sales notification captured ----
    const engineSample = async (i: number): Promise<Sample> => {
      const lead = leads[i] as (typeof leads)[number];
      const arrival = mail
        .waitFor(
          (m) =>
            m.to.includes(REP) && (m.subject.includes(lead.company) || (m.html ?? '').includes(lead.company)),
          { timeoutMs: TIMEOUT_MS },
        )
        .then(() => performance.now());
      const t0Wall = wallNow();
      const t0 = performance.now();
      await post({ email: lead.email, type: 'demo_request', properties: { form: 'demo' } });
      const responded = performance.now();
      const arrived = await arrival;
      return { leadId: lead.leadId, t0, t0Wall, responded, arrived };
    };
    const engineWarmup = await pool(WARMUP, 1, (i) => engineSample(i));
    const engine = await pool(N, CONCURRENCY, (i) => engineSample(WARMUP + i));

    // ---- report ----
    const latency = (s: Sample) => s.arrived - s.t0;
    if (WARMUP > 0) {
      console.log(
        `warm-up discarded (first ${WARMUP} per side, one at a time): engine ` +
          `${engineWarmup.map((s) => ms(latency(s))).join(', ')} ms; baseline ${baselineWarmup.map(ms).join(', ')} ms`,
      );
    }
    const e = stats(engine.map(latency));
    const b = stats(baseline);
    const row = (path: string, s: ReturnType<typeof stats>) => ({
      path,
      n: s.n,
      conc: CONCURRENCY,
      'p50 ms': ms(s.p50),
      'p90 ms': ms(s.p90),
      'p99 ms': ms(s.p99),
      'max ms': ms(s.max),
    });
    console.table([
      row('engine: POST demo_request → sales email captured', e),
      row('baseline: signal sent → activity started', b),
    ]);
    const apiP50 = stats(engine.map((s) => s.responded - s.t0)).p50;
    console.log(
      `ratio of p50s (engine / baseline): ${(e.p50 / b.p50).toFixed(1)}x; the API answered 202 after ` +
        `${ms(apiP50)} ms (p50)${N < 100 ? `; with ${N} samples p99 is the maximum` : ''}`,
    );
    await printBreakdown(client, engine);
    console.log(`load average ${load()} at end`);
  } finally {
    for (const [name, fn] of cleanups.reverse()) {
      await fn().catch((err: unknown) => console.error(`cleanup of ${name} failed:`, err));
    }
  }
}

/**
 * Where the engine's time goes: the median of each hop over the measured samples, from the lead's
 * and the handoff's Temporal histories (server event times) and the capture's arrival time.
 */
async function printBreakdown(client: Client, samples: readonly Sample[]): Promise<void> {
  const hops = new Map<string, number[]>();
  const add = (name: string, from: number, to: number) => {
    const list = hops.get(name) ?? [];
    hops.set(name, list);
    if (Number.isFinite(from) && Number.isFinite(to)) list.push(to - from);
  };
  for (const s of samples) {
    const lead = (await client.workflow.getHandle(leadWorkflowId(s.leadId)).fetchHistory()).events ?? [];
    const child =
      (await client.workflow.getHandle(handoffWorkflowId(`${s.leadId}-1`)).fetchHistory()).events ?? [];
    type Event = (typeof lead)[number];
    const at = (events: Event[], pick: (e: Event) => unknown, after = Number.NEGATIVE_INFINITY) =>
      tsMs(events.find((e) => pick(e) && tsMs(e.eventTime) >= after)?.eventTime);
    const scheduled = (type: string) => (e: Event) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === type;
    const completed = (e: Event) => e.activityTaskCompletedEventAttributes;

    const signalled = at(lead, (e) => e.workflowExecutionSignaledEventAttributes, s.t0Wall - 1);
    const rtScheduled = at(lead, scheduled('recordTransition'), signalled);
    const rtCompleted = at(lead, completed, rtScheduled);
    const childInitiated = at(lead, (e) => e.startChildWorkflowExecutionInitiatedEventAttributes, signalled);
    const childStarted = at(child, (e) => e.workflowExecutionStartedEventAttributes);
    const childWftScheduled = at(child, (e) => e.workflowTaskScheduledEventAttributes);
    const childWftStarted = at(child, (e) => e.workflowTaskStartedEventAttributes);
    const childWftCompleted = at(child, (e) => e.workflowTaskCompletedEventAttributes);
    const saveScheduled = at(child, scheduled('saveHandoff'));
    const saveCompleted = at(child, completed, saveScheduled);
    const notifyScheduled = at(child, scheduled('notifySales'));
    const arrivedWall = s.t0Wall + (s.arrived - s.t0);

    add('API: key check, upsert lead, store event, signalWithStart', s.t0Wall, signalled);
    // One task schedules the MQL record and starts the child (the handoff-while-recording-mql patch).
    add('lead WFT: rescore → record MQL + start handoff child', signalled, childInitiated);
    add('recordTransition activity (in parallel with the child)', rtScheduled, rtCompleted);
    add('server: child workflow started', childInitiated, childStarted);
    // The child's first task: matched to a poller, then run on a fresh workflow (bundle modules
    // evaluated, loadSalesTeam as a local activity inside the task, leaving only a marker).
    add("child's first WFT: scheduled → picked up by the worker", childWftScheduled, childWftStarted);
    add("child's first WFT: run (new workflow + local activity)", childWftStarted, childWftCompleted);
    add('child: first WFT completed → saveHandoff scheduled', childWftCompleted, saveScheduled);
    add('saveHandoff activity (dispatch + DB upsert)', saveScheduled, saveCompleted);
    add('child WFT → schedule notifySales', saveCompleted, notifyScheduled);
    add('notifySales: dispatch, DB, render, SMTP, capture', notifyScheduled, arrivedWall);
  }
  console.log('where the engine time goes (median and max per hop, from server event times):');
  console.table(
    [...hops].map(([hop, values]) => {
      const s = stats(values);
      return { hop, 'p50 ms': ms(s.p50), 'max ms': ms(s.max) };
    }),
  );
}
