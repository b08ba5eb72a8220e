// Outgoing webhooks (sales handoff, stage changes): signed JSON POSTs, retried with backoff by
// Temporal (the calling workflow's retry policy), with one `webhook_deliveries` row per event key
// updated on every attempt. The same key is delivered at most once successfully: a replayed or
// retried activity that finds its row delivered returns without calling the receiver again.
import { createHash, randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { signWebhook } from '../security/tokens.ts';
import type { ActivityDeps } from './deps.ts';

export interface WebhookInput {
  /** Event name, e.g. `lead.handoff`, `lead.stage_changed`. */
  event: string;
  payload: Record<string, unknown>;
  /** Idempotency key: one delivery per key. Defaults to `${event}:${handoffId}` or the activity's identity. */
  key?: string;
}

export interface WebhookResult {
  delivered: boolean;
  status?: number;
  /** The delivery id, sent as `x-nurture-event-id` (stable across attempts). */
  id?: string;
  reason?: string;
}

export const SIGNATURE_HEADER = 'x-nurture-signature';
export const EVENT_ID_HEADER = 'x-nurture-event-id';
const TIMEOUT_MS = 10_000;

/** A stable key when the caller gave none: per handoff, else per activity execution (stable across retries). */
export function webhookKey(input: WebhookInput): string {
  if (input.key) return input.key;
  if (typeof input.payload.handoffId === 'string') return `${input.event}:${input.payload.handoffId}`;
  try {
    const info = Context.current().info;
    const run = info.workflowExecution;
    if (run) return `${input.event}:${run.workflowId}/${run.runId}:${info.activityId}`;
    return `${input.event}:${info.activityId}:${randomUUID()}`;
  } catch {
    // Called outside an activity (scripts, tests): the payload itself identifies the event.
    const digest = createHash('sha256').update(JSON.stringify(input.payload)).digest('hex').slice(0, 32);
    return `${input.event}:${digest}`;
  }
}

const truncate = (s: string, n = 500) => (s.length > n ? `${s.slice(0, n)}…` : s);

export function webhookActivities(deps: ActivityDeps) {
  const { db, settings } = deps;

  /** POSTs a signed JSON event; 5xx, 408, 429 and network errors are retried by Temporal, other 4xx are final. */
  async function deliverWebhook(input: WebhookInput): Promise<WebhookResult> {
    const url = settings.salesWebhookUrl;
    if (!url) return { delivered: false, reason: 'no webhook url configured' };
    const eventKey = webhookKey(input);
    const row = await db.webhookDelivery.upsert({
      where: { eventKey },
      create: { id: randomUUID(), event: input.event, eventKey, url, payload: input.payload as object },
      update: {},
    });
    if (row.status === 'delivered')
      return { delivered: true, status: row.lastStatusCode ?? undefined, id: row.id };
    if (row.status === 'failed')
      throw ApplicationFailure.nonRetryable(`webhook ${row.id} was refused earlier: ${row.lastError}`);

    await db.webhookDelivery.update({ where: { id: row.id }, data: { attempts: { increment: 1 }, url } });
    const body = JSON.stringify({
      id: row.id,
      event: input.event,
      createdAt: row.createdAt.toISOString(),
      data: input.payload,
    });
    // Wall-clock time, not the workflow's: receivers check the timestamp against their own clock.
    const timestamp = Date.now();
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'lead-nurture-engine/webhooks',
          [SIGNATURE_HEADER]: signWebhook(body, settings.webhookSecret, timestamp),
          [EVENT_ID_HEADER]: row.id,
          'x-nurture-event': input.event,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.text().catch(() => ''); // drain: frees the socket
    } catch (err) {
      const message = truncate(`request failed: ${(err as Error).message}`);
      await db.webhookDelivery.update({
        where: { id: row.id },
        data: { status: 'retrying', lastStatusCode: null, lastError: message },
      });
      throw new Error(`webhook ${input.event} (${row.id}): ${message}`);
    }

    if (res.status >= 200 && res.status < 300) {
      await db.webhookDelivery.update({
        where: { id: row.id },
        data: { status: 'delivered', lastStatusCode: res.status, lastError: null, deliveredAt: new Date() },
      });
      return { delivered: true, status: res.status, id: row.id };
    }
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    const message =
      res.status >= 300 && res.status < 400
        ? `HTTP ${res.status} (redirects are not followed)`
        : `HTTP ${res.status}`;
    await db.webhookDelivery.update({
      where: { id: row.id },
      data: { status: retryable ? 'retrying' : 'failed', lastStatusCode: res.status, lastError: message },
    });
    if (!retryable)
      throw ApplicationFailure.nonRetryable(`webhook ${input.event} (${row.id}) refused: ${message}`);
    throw new Error(`webhook ${input.event} (${row.id}) answered ${message}`);
  }

  return { deliverWebhook };
}
