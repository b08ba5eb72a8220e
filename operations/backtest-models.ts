// Operator / marketer task: before shipping a changed scoring model, replay the recorded history in
// the database through the current and the candidate model (domain/scoring/backtest.ts) and report
// which leads would reach MQL earlier, later, newly or no longer. Reads leads page by page, so the
// whole history never sits in memory; reports lead ids only, never addresses.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Db } from '../db/client.ts';
import type { EngagementEventInput } from '../domain/events.ts';
import {
  addBacktestSummary,
  type BacktestSummary,
  backtest,
  emptyBacktestSummary,
  type LeadComparison,
  listedAddresses,
  parseScoringModel,
  type ScoringModel,
} from '../domain/scoring/index.ts';
import { workflowProfile } from '../ingest/events.ts';
import { scoringProfile } from '../workflows/rescore.ts';

export interface DatabaseBacktest {
  modelA: { id: string; version: number };
  modelB: { id: string; version: number };
  summary: BacktestSummary;
  /** The first `show` leads whose outcome changed. */
  changed: LeadComparison[];
}

export interface DatabaseBacktestOptions {
  /** Only events at or after this instant (epoch ms); default: all. */
  since?: number;
  /** Replay up to this instant (default: now), evaluating every `stepDays` for decay. */
  until?: number;
  stepDays?: number;
  pageSize?: number;
  show?: number;
}

/** Leads without events in the window are skipped: there is nothing of theirs to replay. */
export async function backtestDatabase(
  db: Db,
  current: ScoringModel,
  candidate: ScoringModel,
  opts: DatabaseBacktestOptions = {},
): Promise<DatabaseBacktest> {
  const until = opts.until ?? Date.now();
  const pageSize = opts.pageSize ?? 500;
  const show = opts.show ?? 20;
  const since = new Date(opts.since ?? 0);
  const summary = emptyBacktestSummary();
  const changed: LeadComparison[] = [];
  const listedByEither = new Set([...listedAddresses(current), ...listedAddresses(candidate)]);
  let cursor: string | undefined;
  for (;;) {
    const page = await db.lead.findMany({
      where: { erasedAt: null, events: { some: { occurredAt: { gte: since } } } },
      orderBy: { id: 'asc' },
      take: pageSize,
      ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
      include: { events: { where: { occurredAt: { gte: since } }, orderBy: { occurredAt: 'asc' } } },
    });
    if (page.length === 0) break;
    cursor = page[page.length - 1]?.id;
    const leads = page.map((lead) => {
      // Scored as a journey scores it (a placeholder mailbox at the lead's domain), except that an
      // address either model lists is passed as itself: the same view production has.
      const { listedAddress: _shipped, ...profile } = workflowProfile(lead);
      const listed = lead.email && listedByEither.has(lead.email) ? { listedAddress: lead.email } : {};
      return {
        leadId: lead.id,
        profile: scoringProfile({ ...profile, ...listed }),
        events: lead.events.map(
          (e): EngagementEventInput => ({
            id: e.id,
            type: e.type as EngagementEventInput['type'],
            channel: (e.channel ?? undefined) as EngagementEventInput['channel'],
            occurredAt: e.occurredAt.getTime(),
            properties: e.properties as EngagementEventInput['properties'],
            scored: e.scored,
          }),
        ),
      };
    });
    const report = backtest(current, candidate, leads, { until, stepDays: opts.stepDays ?? 1 });
    addBacktestSummary(summary, report.summary);
    for (const c of report.leads) if (c.changed && changed.length < show) changed.push(c);
    if (page.length < pageSize) break;
  }
  return {
    modelA: { id: current.id, version: current.version },
    modelB: { id: candidate.id, version: candidate.version },
    summary,
    changed,
  };
}

/** A model from a TypeScript or JSON module: its default export, or an export named `model`. */
export async function loadModelFile(file: string): Promise<ScoringModel> {
  const mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown; model?: unknown };
  const input = mod.model ?? mod.default;
  if (input === undefined) throw new Error(`${file}: export the model as default or as \`model\``);
  try {
    return parseScoringModel(input);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}
