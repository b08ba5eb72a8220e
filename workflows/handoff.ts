// Handoff to sales as its own workflow: route an owner, notify by email and signed webhook at once,
// then hold the service level: remind, escalate to a manager, and give up (back to nurture) if
// nobody answers. The lead workflow applies sales' answer; this one only keeps the clock.
import {
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { routeOwner } from '../domain/handoff/routing.ts';
import { answeredSignal, type HandoffInput, type HandoffResult } from './definitions.ts';

const { saveHandoff, notifySales } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// The team is configuration held by the worker: a local activity records it without a round trip.
const { loadSalesTeam } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5 seconds' });
// Webhook receivers can be down for a while: keep trying for a day, then give up loudly.
const { deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

/**
 * The signed webhook to the sales system. Its failure (a receiver refusing it, or down past the retry
 * window) must not fail the hand-off: sales also has the email, the SLA clock keeps running, and
 * the delivery log shows the failure for a redelivery.
 */
const notifyReceiver = (event: string, payload: Record<string, unknown>) =>
  deliverWebhook({ event, payload }).catch((err) =>
    log.warn('hand-off webhook not delivered; see the delivery log', { event, error: String(err) }),
  );

export const DEFAULT_SLA = {
  reminderMs: 4 * 3_600_000,
  escalateMs: 24 * 3_600_000,
  expireMs: 72 * 3_600_000,
};

export async function handoffWorkflow(input: HandoffInput): Promise<HandoffResult> {
  const sla = input.sla ?? DEFAULT_SLA;
  let answer: { kind: string; actor: string } | undefined;
  setHandler(answeredSignal, (a) => {
    answer = a;
  });

  const team = await loadSalesTeam();
  const owner = routeOwner(team, { leadId: input.leadId, profile: input.profile });
  await saveHandoff({
    handoffId: input.handoffId,
    leadId: input.leadId,
    owner: owner.email,
    status: 'pending',
    reasons: input.reasons,
  });
  const payload = {
    handoffId: input.handoffId,
    leadId: input.leadId,
    owner: owner.email,
    scores: input.scores,
    reasons: input.reasons,
  };
  await Promise.all([
    notifySales({ kind: 'new', to: owner.email, ...payload }),
    notifyReceiver('lead.handoff', payload),
  ]);

  try {
    const start = Date.now();
    const waitUntil = async (ms: number) =>
      condition(() => answer !== undefined, Math.max(0, start + ms - Date.now()));
    if (!(await waitUntil(sla.reminderMs))) {
      await notifySales({ kind: 'reminder', to: owner.email, ...payload });
      if (!(await waitUntil(sla.escalateMs))) {
        await notifySales({ kind: 'escalation', to: owner.manager ?? team.manager, ...payload });
        if (!(await waitUntil(sla.expireMs))) {
          await saveHandoff({
            handoffId: input.handoffId,
            leadId: input.leadId,
            owner: owner.email,
            status: 'expired',
            reasons: input.reasons,
          });
          await notifyReceiver('lead.handoff_expired', payload);
          return { outcome: 'expired', owner: owner.email };
        }
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Lead erased while the handoff was open: close the row, nothing more.
    await CancellationScope.nonCancellable(() =>
      saveHandoff({
        handoffId: input.handoffId,
        leadId: input.leadId,
        owner: owner.email,
        status: 'cancelled',
        reasons: input.reasons,
      }),
    );
    return { outcome: 'cancelled', owner: owner.email };
  }
  const status =
    answer?.kind === 'reject'
      ? 'rejected'
      : answer?.kind === 'accept'
        ? 'accepted'
        : (answer?.kind ?? 'answered');
  await saveHandoff({
    handoffId: input.handoffId,
    leadId: input.leadId,
    owner: owner.email,
    status,
    reasons: input.reasons,
    feedbackBy: answer?.actor,
  });
  return { outcome: 'answered', owner: owner.email };
}
