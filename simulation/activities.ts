// Side effects replaced by a recorder: a simulation runs the real workflow code on the
// time-skipping server, but "sends" land in a timeline instead of an inbox. The shape is the real
// Activities type, so a renamed or changed activity breaks the simulation at compile time.
import { Context } from '@temporalio/activity';
import type { Activities } from '../activities/index.ts';
import type { SalesTeam } from '../domain/handoff/routing.ts';
import { catalog } from '../sequences/index.ts';

export interface SimulatedEffect {
  at: number;
  kind: 'email' | 'stage' | 'sales_email' | 'webhook' | 'handoff' | 'erase';
  detail: string;
  leadId: string;
}

const now = () => {
  try {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  } catch {
    return Date.now();
  }
};

export function createSimulationActivities(
  effects: SimulatedEffect[],
  opts: { team?: SalesTeam; bounce?: (template: string) => boolean } = {},
): Activities {
  const team: SalesTeam = opts.team ?? {
    reps: [{ email: 'rep@example.test', territories: [] }],
    manager: 'manager@example.test',
    accounts: {},
  };
  const sent = new Set<string>();
  const record = (e: Omit<SimulatedEffect, 'at'>) => effects.push({ ...e, at: now() });
  return {
    async latestSequenceVersion({ sequenceId }) {
      return catalog.latest(sequenceId)?.version;
    },
    async sendEmail({ leadId, sendKey, template }) {
      if (sent.has(sendKey)) return { status: 'sent', messageId: sendKey };
      if (opts.bounce?.(template)) {
        record({ kind: 'email', leadId, detail: `${template} (bounced)` });
        return { status: 'bounced', reason: 'simulated 550' };
      }
      sent.add(sendKey);
      record({ kind: 'email', leadId, detail: template });
      return { status: 'sent', messageId: sendKey };
    },
    async recordTransition(t) {
      record({ kind: 'stage', leadId: t.leadId, detail: `${t.from} → ${t.to} (${t.reason})` });
    },
    async eraseLead({ leadId }) {
      record({ kind: 'erase', leadId, detail: 'personal data erased' });
    },
    async loadSalesTeam() {
      return team;
    },
    async saveHandoff(h) {
      record({ kind: 'handoff', leadId: h.leadId, detail: `${h.handoffId} ${h.status} → ${h.owner}` });
    },
    async notifySales(n) {
      record({ kind: 'sales_email', leadId: n.leadId, detail: `${n.kind} → ${n.to}` });
      return { status: 'sent', messageId: `sales:${n.handoffId}:${n.kind}` };
    },
    async deliverWebhook(w) {
      record({ kind: 'webhook', leadId: String(w.payload.leadId ?? ''), detail: w.event });
      return { delivered: true as const, status: 200 };
    },
  } as Activities;
}
