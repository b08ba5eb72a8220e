// The front door for events: persist first (nothing accepted is lost), then deliver to the lead's
// workflow with signalWithStart. Events whose delivery failed stay marked undelivered and are
// retried by the outbox loop (ingest/outbox.ts).
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client.ts';
import type { EngagementEvent, EventType } from '../domain/events.ts';
import { type LeadProfileInput, normaliseEmail } from '../domain/profile.ts';
import { eventSignal, leadWorkflowId, type WorkflowProfile } from '../workflows/definitions.ts';
import type { leadWorkflow } from '../workflows/lead.ts';

export interface IngestContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** False on the time-skipping test server, which has no custom search attributes. */
  searchAttributes?: boolean;
}

export interface IncomingEvent {
  email: string;
  profile?: Omit<LeadProfileInput, 'email'>;
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

const PROFILE_COLUMNS = ['firstName', 'lastName', 'company', 'title', 'country', 'timezone'] as const;

export function workflowProfile(lead: { email: string | null; profile: unknown } & Partial<Record<(typeof PROFILE_COLUMNS)[number], string | null>>): WorkflowProfile {
  const stored = (lead.profile ?? {}) as WorkflowProfile;
  const columns = Object.fromEntries(PROFILE_COLUMNS.filter((k) => lead[k]).map((k) => [k, lead[k]]));
  return { ...stored, ...columns, fields: stored.fields ?? {}, tags: stored.tags ?? [], emailDomain: lead.email?.split('@')[1] };
}

/** Creates or merges the lead by normalised email; returns its internal id. */
export async function upsertLead(db: Db, email: string, profile: IncomingEvent['profile'] = {}) {
  const normalised = normaliseEmail(email);
  const { firstName, lastName, company, title, country, timezone, ...rest } = profile;
  const columns = { firstName, lastName, company, title, country, timezone };
  const defined = Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined));
  const existing = await db.lead.findUnique({ where: { email: normalised } });
  if (existing) {
    if (Object.keys(defined).length === 0 && Object.keys(rest).length === 0) return { lead: existing, created: false };
    const merged = { ...(existing.profile as object), ...rest };
    const lead = await db.lead.update({ where: { id: existing.id }, data: { ...defined, profile: merged } });
    return { lead, created: false };
  }
  try {
    const lead = await db.lead.create({ data: { email: normalised, ...defined, profile: rest as object } });
    return { lead, created: true };
  } catch (err) {
    // Two requests for a new address raced: the other created it.
    if ((err as { code?: string }).code !== 'P2002') throw err;
    return { lead: await db.lead.findUniqueOrThrow({ where: { email: normalised } }), created: false };
  }
}

export async function ingestEvent(ctx: IngestContext, input: IncomingEvent): Promise<IngestResult> {
  const { lead } = await upsertLead(ctx.db, input.email, input.profile);
  if (input.clientEventId) {
    const dup = await ctx.db.engagementEvent.findUnique({ where: { clientEventId: input.clientEventId } });
    if (dup) return { leadId: dup.leadId, eventId: dup.id, duplicate: true, delivered: dup.deliveredAt !== null };
  }
  let row: { id: string };
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
      },
    });
  } catch (err) {
    if ((err as { code?: string }).code !== 'P2002' || !input.clientEventId) throw err;
    const dup = await ctx.db.engagementEvent.findUniqueOrThrow({ where: { clientEventId: input.clientEventId } });
    return { leadId: dup.leadId, eventId: dup.id, duplicate: true, delivered: dup.deliveredAt !== null };
  }
  const delivered = await deliverEvent(ctx, row.id, input.sequence).catch(() => false);
  return { leadId: lead.id, eventId: row.id, duplicate: false, delivered };
}

/** Signals (or starts) the lead's workflow with one stored event; marks it delivered. */
export async function deliverEvent(ctx: IngestContext, eventId: string, sequenceId?: string): Promise<boolean> {
  const row = await ctx.db.engagementEvent.findUniqueOrThrow({ where: { id: eventId }, include: { lead: true } });
  if (row.lead.erasedAt) {
    await ctx.db.engagementEvent.update({ where: { id: eventId }, data: { deliveredAt: new Date() } });
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
  await ctx.temporal.workflow.signalWithStart<typeof leadWorkflow, [EngagementEvent]>('leadWorkflow', {
    workflowId: leadWorkflowId(row.leadId),
    taskQueue: ctx.taskQueue,
    args: [{ leadId: row.leadId, profile: workflowProfile(row.lead), sequenceId, searchAttributes: ctx.searchAttributes }],
    signal: eventSignal,
    signalArgs: [event],
  });
  await ctx.db.engagementEvent.update({ where: { id: eventId }, data: { deliveredAt: new Date() } });
  return true;
}
