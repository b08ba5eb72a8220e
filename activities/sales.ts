// Side effects of a handoff: the handoff row and the sales email (with one-click feedback links).
// The HMAC-signed webhook lives in activities/webhooks.ts.
import type { ActivityDeps } from './deps.ts';
import { activityNow, type emailActivities } from './email.ts';
import { feedbackLinks } from './links.ts';

export interface HandoffPayload {
  handoffId: string;
  leadId: string;
  owner: string;
  scores: { fit: number; engagement: number; intent: number };
  reasons: string[];
}

export function salesActivities(deps: ActivityDeps, email: ReturnType<typeof emailActivities>) {
  const { db, settings } = deps;

  async function loadSalesTeam() {
    return deps.salesTeam;
  }

  async function saveHandoff(input: {
    handoffId: string;
    leadId: string;
    owner: string;
    status: string;
    reasons: string[];
    feedbackBy?: string;
  }) {
    const answered = input.status !== 'pending';
    await db.handoff.upsert({
      where: { id: input.handoffId },
      create: {
        id: input.handoffId,
        leadId: input.leadId,
        owner: input.owner,
        status: input.status,
        reasons: input.reasons,
      },
      update: {
        status: input.status,
        feedback: input.feedbackBy,
        respondedAt: answered ? new Date(activityNow()) : undefined,
      },
    });
  }

  async function notifySales(
    input: HandoffPayload & { kind: 'new' | 'reminder' | 'escalation'; to: string },
  ) {
    const lead = await db.lead.findUnique({ where: { id: input.leadId } });
    if (!lead || lead.erasedAt) return { status: 'suppressed' as const, reason: 'erased' };
    const links = feedbackLinks(
      settings.publicBaseUrl,
      settings.linkSecret,
      input.leadId,
      input.handoffId,
      activityNow(),
    );
    return email.deliver({
      leadId: input.leadId,
      sendKey: `sales:${input.handoffId}:${input.kind}`,
      template: 'sales-handoff',
      to: input.to,
      marketing: false,
      vars: () => ({
        lead: {
          firstName: lead.firstName ?? undefined,
          lastName: lead.lastName ?? undefined,
          company: lead.company ?? undefined,
          title: lead.title ?? undefined,
          email: lead.email ?? undefined,
        },
        sender: {
          name: 'Nurture engine',
          company: settings.mailFrom.replace(/\s*<.*>$/, ''),
          address: settings.postalAddress,
        },
        links: {
          unsubscribe: `${settings.publicBaseUrl}/`,
          lead: `${settings.publicBaseUrl}/dashboard/leads/${input.leadId}`,
        },
        handoff: {
          kind: input.kind,
          handoffId: input.handoffId,
          owner: input.owner,
          summary: [lead.title, lead.company].filter(Boolean).join(' at ') || undefined,
          scores: input.scores,
          reasons: input.reasons,
          feedback: links,
        },
      }),
    });
  }

  return { loadSalesTeam, saveHandoff, notifySales };
}
