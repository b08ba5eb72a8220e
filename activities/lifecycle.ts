// Lifecycle side effects: stage history rows (idempotent by key) and GDPR erasure.
import { eraseLeadData } from '../db/erasure.ts';
import type { ActivityDeps } from './deps.ts';
import { activityNow } from './email.ts';

export interface TransitionRecord {
  leadId: string;
  /** Unique per transition of a workflow: a retried activity writes one row. */
  key: string;
  from: string;
  to: string;
  reason: string;
  actor: string;
  snapshot: { fit: number; engagement: number; intent: number } & Record<string, unknown>;
}

export function lifecycleActivities({ db }: ActivityDeps) {
  async function recordTransition(t: TransitionRecord): Promise<void> {
    const at = new Date(activityNow());
    await db.$transaction(async (tx) => {
      const exists = await tx.stageTransition.findUnique({ where: { transitionKey: t.key } });
      if (exists) return;
      await tx.stageTransition.create({
        data: {
          leadId: t.leadId,
          fromStage: t.from,
          toStage: t.to,
          reason: t.reason,
          actor: t.actor,
          scoreSnapshot: t.snapshot as object,
          transitionKey: t.key,
          at,
        },
      });
      await tx.lead.update({
        where: { id: t.leadId },
        data: {
          stage: t.to,
          scoreFit: t.snapshot.fit,
          scoreEngagement: t.snapshot.engagement,
          scoreIntent: t.snapshot.intent,
        },
      });
    });
  }

  /** Deletes personal data, keeps anonymous rows (events, transitions) so funnel counts stay true. */
  async function eraseLead({ leadId }: { leadId: string }): Promise<void> {
    await eraseLeadData(db, leadId, new Date(activityNow()));
  }

  return { recordTransition, eraseLead };
}
