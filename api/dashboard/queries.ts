// What the dashboard shows, read from the database (the source of truth for counts and history)
// and, best effort, from Temporal (live journey state, running leads per sequence).
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client.ts';
import { STAGES } from '../../domain/lifecycle/index.ts';
import { graph } from '../../domain/sequence/index.ts';
import { catalog } from '../../sequences/index.ts';
import { leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';

const DAY = 24 * 60 * 60 * 1000;
const LIVE_DEADLINE_MS = 2_000;
export const LEADS_PER_PAGE = 50;
const HANDOFF_STATUSES = ['pending', 'accepted', 'rejected', 'won', 'lost', 'expired'];

export async function overview(db: Db, now = Date.now()) {
  const since30 = new Date(now - 30 * DAY);
  const [byStage, byHandoff, mql30, sql30, sent7, undelivered, recent] = await Promise.all([
    db.lead.groupBy({ by: ['stage'], where: { erasedAt: null }, _count: { _all: true } }),
    db.handoff.groupBy({ by: ['status'], _count: { _all: true } }),
    db.stageTransition.count({ where: { toStage: 'mql', at: { gte: since30 } } }),
    db.stageTransition.count({ where: { toStage: 'sql', at: { gte: since30 } } }),
    db.message.count({ where: { status: 'sent', sentAt: { gte: new Date(now - 7 * DAY) } } }),
    db.engagementEvent.count({ where: { deliveredAt: null } }),
    db.handoff.findMany({
      orderBy: { createdAt: 'desc' },
      take: 10,
      include: { lead: { select: { id: true, firstName: true, lastName: true, company: true } } },
    }),
  ]);
  const stageCount = new Map(byStage.map((r) => [r.stage, r._count._all]));
  const handoffCount = new Map(byHandoff.map((r) => [r.status, r._count._all]));
  return {
    stages: STAGES.map((stage) => ({ stage, count: stageCount.get(stage) ?? 0 })),
    // The usual statuses always, plus any other the workflows wrote (cancelled on erasure, ...).
    handoffs: [...new Set([...HANDOFF_STATUSES, ...handoffCount.keys()])].map((status) => ({
      status,
      count: handoffCount.get(status) ?? 0,
    })),
    last30: { mql: mql30, sql: sql30, acceptRate: mql30 ? Math.round((100 * sql30) / mql30) : undefined },
    sent7,
    undelivered,
    recentHandoffs: recent.map((h) => ({
      id: h.id,
      leadId: h.leadId,
      lead: displayName(h.lead),
      owner: h.owner,
      status: h.status,
      reasons: Array.isArray(h.reasons) ? (h.reasons as unknown[]).map(String) : [],
      createdAt: h.createdAt,
    })),
  };
}

export async function leadsPage(db: Db, opts: { stage?: string; page: number }) {
  const where = { erasedAt: null, ...(opts.stage ? { stage: opts.stage } : {}) };
  const [total, rows] = await Promise.all([
    db.lead.count({ where }),
    db.lead.findMany({
      where,
      orderBy: { updatedAt: 'desc' },
      skip: (opts.page - 1) * LEADS_PER_PAGE,
      take: LEADS_PER_PAGE,
    }),
  ]);
  return {
    total,
    page: opts.page,
    pages: Math.max(1, Math.ceil(total / LEADS_PER_PAGE)),
    leads: rows.map((l) => ({
      id: l.id,
      name: displayName(l),
      email: l.email,
      company: l.company,
      stage: l.stage,
      scores: { fit: l.scoreFit, engagement: l.scoreEngagement, intent: l.scoreIntent },
      updatedAt: l.updatedAt,
    })),
  };
}

export async function leadDetail(db: Db, temporal: Client, id: string) {
  const lead = await db.lead.findUnique({
    where: { id },
    include: {
      transitions: { orderBy: { at: 'desc' }, take: 50 },
      events: { orderBy: { occurredAt: 'desc' }, take: 50 },
      messages: { orderBy: { createdAt: 'desc' }, take: 50 },
      handoffs: { orderBy: { createdAt: 'desc' } },
    },
  });
  if (!lead) return undefined;
  const live = await temporal
    .withDeadline(Date.now() + LIVE_DEADLINE_MS, () =>
      temporal.workflow.getHandle(leadWorkflowId(lead.id)).query(stateQuery),
    )
    .catch(() => undefined);
  return { lead: { ...lead, name: displayName(lead) }, live };
}

export async function sequencesSummary(temporal: Client) {
  return Promise.all(
    catalog.ids().map(async (id) => {
      const latest = catalog.latest(id);
      const versions = catalog
        .all()
        .filter((s) => s.id === id)
        .map((s) => s.version);
      // Visibility may be missing (time-skipping server) or slow: the page still renders.
      const running = await temporal
        .withDeadline(Date.now() + LIVE_DEADLINE_MS, () =>
          temporal.workflow.count(
            `WorkflowType = 'leadWorkflow' AND ExecutionStatus = 'Running' AND LeadSequence = '${id}'`,
          ),
        )
        .then((r) => r.count)
        .catch(() => undefined);
      return {
        id,
        name: latest?.name ?? id,
        description: latest?.description ?? '',
        versions,
        latest: latest?.version,
        migration: latest?.migration,
        running,
        mermaid: latest ? graph(latest) : '',
      };
    }),
  );
}

function displayName(l: {
  firstName: string | null;
  lastName: string | null;
  company?: string | null;
  id: string;
}) {
  const name = [l.firstName, l.lastName].filter(Boolean).join(' ');
  return name || `lead ${l.id.slice(0, 8)}`;
}
