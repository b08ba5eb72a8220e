// The front door for events: persist first (nothing accepted is lost), then deliver to the lead's
// workflow with signalWithStart. Events whose delivery failed stay marked undelivered and are
// retried by the outbox loop (ingest/outbox.ts).
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../db/client.ts';
import type { EngagementEvent, EventType } from '../domain/events.ts';
import { type LeadProfileInput, normaliseEmail } from '../domain/profile.ts';
import { defaultScoringModel, listedAddresses } from '../domain/scoring/index.ts';
import { type ApiMetrics, ingestOutcome } from '../observability/metrics.ts';
import {
  eventSignal,
  leadWorkflowId,
  profileSignal,
  type WorkflowProfile,
} from '../workflows/definitions.ts';
import type { leadWorkflow } from '../workflows/lead.ts';
import { deliveredMarker } from './delivered.ts';
import { mapLimit } from './limit.ts';

export interface IngestLogger {
  warn(obj: object, msg: string): void;
}

export interface IngestContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** False on the time-skipping test server, which has no custom search attributes. */
  searchAttributes?: boolean;
  /**
   * How long one delivery to Temporal may take, retries included, before the request gives up and
   * leaves the stored event to the outbox (default 10 s).
   */
  deliveryTimeoutMs?: number;
  /** Where best-effort failures are reported (never with addresses). */
  log?: IngestLogger;
  /** Counts each accepted event by outcome (the API's Prometheus counter). */
  metrics?: Pick<ApiMetrics, 'countIngested'>;
}

export type ProfileInput = Omit<LeadProfileInput, 'email'>;

export interface IncomingEvent {
  email: string;
  profile?: ProfileInput;
  type: EventType;
  channel?: EngagementEvent['channel'];
  occurredAt?: number;
  properties?: EngagementEvent['properties'];
  clientEventId?: string;
  sequence?: string;
  scored?: boolean;
}

export interface IngestResult {
  leadId: string;
  eventId: string;
  duplicate: boolean;
  delivered: boolean;
}

/** Addresses the shipped scoring model names (spam traps...): the only ones a journey may see. */
const LISTED = listedAddresses(defaultScoringModel);

const PROFILE_COLUMNS = ['firstName', 'lastName', 'company', 'title', 'country', 'timezone'] as const;
type ProfileColumn = (typeof PROFILE_COLUMNS)[number];
const isColumn = (k: string): k is ProfileColumn => (PROFILE_COLUMNS as readonly string[]).includes(k);

export function workflowProfile(
  lead: { email: string | null; profile: unknown } & Partial<Record<ProfileColumn, string | null>>,
): WorkflowProfile {
  const stored = (lead.profile ?? {}) as WorkflowProfile;
  const columns = Object.fromEntries(PROFILE_COLUMNS.filter((k) => lead[k]).map((k) => [k, lead[k]]));
  return {
    ...stored,
    ...columns,
    fields: stored.fields ?? {},
    tags: stored.tags ?? [],
    emailDomain: lead.email?.split('@')[1],
    ...(lead.email && LISTED.has(lead.email) ? { listedAddress: lead.email } : {}),
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const definedOnly = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export interface UpsertResult {
  lead: Awaited<ReturnType<Db['lead']['findUniqueOrThrow']>>;
  created: boolean;
  /** Profile attributes that changed (new values); empty when nothing did or the lead is new. */
  changed: Partial<WorkflowProfile>;
}

/**
 * Creates or merges the lead by normalised email (trimmed, lower-case). Given attributes replace
 * stored ones, `fields` merge key by key, omitted attributes are kept. Returns what changed.
 */
export async function upsertLead(db: Db, email: string, profile: ProfileInput = {}): Promise<UpsertResult> {
  const normalised = normaliseEmail(email);
  const given = definedOnly(profile) as Record<string, unknown>;
  const existing = await db.lead.findUnique({ where: { email: normalised } });
  if (existing) {
    const stored = (existing.profile ?? {}) as Record<string, unknown>;
    const changed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(given)) {
      if (k === 'fields') {
        const merged = { ...((stored.fields as object | undefined) ?? {}), ...(v as object) };
        if (!sameJson(merged, stored.fields ?? {})) changed.fields = merged;
      } else if (isColumn(k) ? existing[k] !== v : !sameJson(stored[k], v)) {
        changed[k] = v;
      }
    }
    if (Object.keys(changed).length === 0) return { lead: existing, created: false, changed: {} };
    const columns = Object.fromEntries(Object.entries(changed).filter(([k]) => isColumn(k)));
    const attributes = Object.fromEntries(Object.entries(changed).filter(([k]) => !isColumn(k)));
    const lead = await db.lead.update({
      where: { id: existing.id },
      data: {
        ...columns,
        ...(Object.keys(attributes).length ? { profile: { ...stored, ...attributes } as object } : {}),
      },
    });
    return { lead, created: false, changed: changed as Partial<WorkflowProfile> };
  }
  const columns = Object.fromEntries(Object.entries(given).filter(([k]) => isColumn(k)));
  const attributes = Object.fromEntries(Object.entries(given).filter(([k]) => !isColumn(k)));
  try {
    const lead = await db.lead.create({
      data: { email: normalised, ...columns, profile: attributes as object },
    });
    return { lead, created: true, changed: {} };
  } catch (err) {
    // Two requests for a new address raced: the other created it; merge into it.
    if ((err as { code?: string }).code !== 'P2002') throw err;
    return upsertLead(db, email, profile);
  }
}

/** Tells a running lead workflow about profile changes; false when there is none or it is unreachable. */
export async function signalProfile(
  ctx: IngestContext,
  leadId: string,
  changed: Partial<WorkflowProfile>,
): Promise<boolean> {
  if (Object.keys(changed).length === 0) return false;
  try {
    await withDeadline(ctx, () =>
      ctx.temporal.workflow.getHandle(leadWorkflowId(leadId)).signal(profileSignal, changed),
    );
    return true;
  } catch (err) {
    // No journey yet: it will start from the stored profile.
    if (!(err instanceof WorkflowNotFoundError))
      ctx.log?.warn({ err: errorSummary(err), leadId }, 'profile stored; workflow not signalled');
    return false;
  }
}

async function duplicateOf(db: Db, clientEventId: string): Promise<IngestResult | undefined> {
  const dup = await db.engagementEvent.findUnique({ where: { clientEventId } });
  return dup
    ? { leadId: dup.leadId, eventId: dup.id, duplicate: true, delivered: dup.deliveredAt !== null }
    : undefined;
}

/** Stores one event (idempotent by clientEventId), then delivers it; a failed delivery is left to the outbox. */
export async function ingestEvent(ctx: IngestContext, input: IncomingEvent): Promise<IngestResult> {
  const result = await storeAndDeliver(ctx, input);
  ctx.metrics?.countIngested(ingestOutcome(result));
  return result;
}

async function storeAndDeliver(ctx: IngestContext, input: IncomingEvent): Promise<IngestResult> {
  if (input.clientEventId) {
    const dup = await duplicateOf(ctx.db, input.clientEventId);
    if (dup) return dup;
  }
  const { lead, created, changed } = await upsertLead(ctx.db, input.email, input.profile);
  let row: Awaited<ReturnType<Db['engagementEvent']['create']>>;
  try {
    row = await ctx.db.engagementEvent.create({
      data: {
        leadId: lead.id,
        clientEventId: input.clientEventId,
        type: input.type,
        channel: input.channel,
        properties: input.properties ?? {},
        scored: input.scored ?? true,
        occurredAt: new Date(input.occurredAt ?? Date.now()),
        sequenceId: input.sequence,
      },
    });
  } catch (err) {
    // The same client id submitted concurrently: the other request stored it.
    if ((err as { code?: string }).code !== 'P2002' || !input.clientEventId) throw err;
    return (await duplicateOf(ctx.db, input.clientEventId)) as IngestResult;
  }
  if (!created) await signalProfile(ctx, lead.id, changed);
  const delivered = await deliverStored(ctx, row, lead).catch((err) => {
    ctx.log?.warn({ err: errorSummary(err), eventId: row.id }, 'event stored; delivery left to the outbox');
    return false;
  });
  return { leadId: lead.id, eventId: row.id, duplicate: false, delivered };
}

export type BatchOutcome = { ok: true; result: IngestResult } | { ok: false; error: unknown };

/**
 * Ingests several events: events of one lead in order, different leads `concurrency` at a time.
 * Every item gets its own outcome: one failing store does not lose the others.
 */
export async function ingestMany(
  ctx: IngestContext,
  inputs: readonly IncomingEvent[],
  concurrency = 8,
): Promise<BatchOutcome[]> {
  const groups = new Map<string, number[]>();
  inputs.forEach((input, i) => {
    const key = normaliseEmail(input.email);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const outcomes = new Array<BatchOutcome>(inputs.length);
  await mapLimit([...groups.values()], concurrency, async (indexes) => {
    for (const i of indexes) {
      try {
        outcomes[i] = { ok: true, result: await ingestEvent(ctx, inputs[i] as IncomingEvent) };
      } catch (error) {
        outcomes[i] = { ok: false, error };
      }
    }
  });
  return outcomes;
}

type StoredEvent = Awaited<ReturnType<Db['engagementEvent']['findUniqueOrThrow']>>;
type StoredLead = UpsertResult['lead'];

/** Signals (or starts) the lead's workflow with one stored event; marks it delivered. */
export async function deliverEvent(
  ctx: IngestContext,
  eventId: string,
  sequenceId?: string,
): Promise<boolean> {
  const row = await ctx.db.engagementEvent.findUniqueOrThrow({
    where: { id: eventId },
    include: { lead: true },
  });
  return deliverStored(ctx, row, row.lead, sequenceId);
}

async function deliverStored(
  ctx: IngestContext,
  row: StoredEvent,
  lead: StoredLead,
  sequenceId?: string,
): Promise<boolean> {
  if (lead.erasedAt) {
    await ctx.db.engagementEvent.update({ where: { id: row.id }, data: { deliveredAt: new Date() } });
    return false;
  }
  const event: EngagementEvent = {
    id: row.id,
    type: row.type as EventType,
    channel: (row.channel ?? undefined) as EngagementEvent['channel'],
    occurredAt: row.occurredAt.getTime(),
    properties: row.properties as EngagementEvent['properties'],
    scored: row.scored,
  };
  await withDeadline(ctx, () =>
    ctx.temporal.workflow.signalWithStart<typeof leadWorkflow, [EngagementEvent]>('leadWorkflow', {
      workflowId: leadWorkflowId(row.leadId),
      taskQueue: ctx.taskQueue,
      args: [
        {
          leadId: row.leadId,
          profile: workflowProfile(lead),
          sequenceId: sequenceId ?? row.sequenceId ?? undefined,
          searchAttributes: ctx.searchAttributes,
        },
      ],
      signal: eventSignal,
      signalArgs: [event],
    }),
  );
  await deliveredMarker(ctx.db).mark(row.id);
  return true;
}

/** Bounds a Temporal call (the client retries UNAVAILABLE internally) so a request never hangs on it. */
export function withDeadline<T>(ctx: IngestContext, fn: () => Promise<T>): Promise<T> {
  return ctx.temporal.withDeadline(Date.now() + (ctx.deliveryTimeoutMs ?? 10_000), fn);
}

/** Error name, message and gRPC code: enough to diagnose, nothing from the request. */
export function errorSummary(err: unknown): { name?: string; message?: string; code?: unknown } {
  if (!(err instanceof Error)) return { message: String(err) };
  const cause = err.cause as { code?: unknown; message?: string } | undefined;
  return { name: err.name, message: err.message, code: (err as { code?: unknown }).code ?? cause?.code };
}
