// Journeys recorded as history fixtures and replayed in CI against the current workflow code, so a
// change that would break running journeys (nondeterminism) fails the build. Re-record only when a
// change is deliberately incompatible (and patched): `npx tsx test/replay/record.ts`.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eventSignal, feedbackUpdate, leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';

export interface Scenario {
  name: string;
  run(env: TestWorkflowEnvironment, taskQueue: string): Promise<string>; // returns the workflow id
}

const start = async (env: TestWorkflowEnvironment, taskQueue: string, leadId: string) =>
  env.client.workflow.start('leadWorkflow', {
    taskQueue,
    workflowId: leadWorkflowId(leadId),
    args: [
      {
        leadId,
        profile: {
          fields: {},
          tags: [],
          emailDomain: 'corp.test',
          seniority: 'vp' as const,
          companySize: 200,
        },
        searchAttributes: false,
      },
    ],
  });

const waitFor = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean) => {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('scenario did not reach its state');
};

export const SCENARIOS: Scenario[] = [
  {
    name: 'hand-raiser-accepted',
    async run(env, taskQueue) {
      const h = await start(env, taskQueue, 'replay-hand-raiser');
      const now = await env.currentTimeMs();
      await h.signal(eventSignal, {
        id: 'e1',
        type: 'content_download',
        occurredAt: now,
        properties: {},
        scored: true,
      });
      await env.sleep('1d');
      await h.signal(eventSignal, {
        id: 'e2',
        type: 'demo_request',
        occurredAt: now + 86_400_000,
        properties: {},
        scored: true,
      });
      await waitFor(
        () => h.query(stateQuery),
        (s) => s.handoff !== undefined,
      );
      await h.executeUpdate(feedbackUpdate, { args: [{ kind: 'accept', actor: 'rep-1' }] });
      await env.sleep('2d');
      await h.executeUpdate(feedbackUpdate, { args: [{ kind: 'won', actor: 'rep-1' }] });
      return h.workflowId;
    },
  },
  {
    name: 'silent-to-nurture',
    async run(env, taskQueue) {
      const h = await start(env, taskQueue, 'replay-silent');
      await env.sleep('60d');
      await waitFor(
        () => h.query(stateQuery),
        (s) => s.stage === 'nurture',
      );
      const now = await env.currentTimeMs();
      await h.signal(eventSignal, {
        id: 'e1',
        type: 'email_click',
        occurredAt: now,
        properties: {},
        scored: true,
      });
      await env.sleep('10d');
      return h.workflowId;
    },
  },
  {
    name: 'sla-expired',
    async run(env, taskQueue) {
      const h = await start(env, taskQueue, 'replay-sla');
      const now = await env.currentTimeMs();
      await h.signal(eventSignal, {
        id: 'e1',
        type: 'contact_request',
        occurredAt: now,
        properties: {},
        scored: true,
      });
      await env.sleep('4d');
      await waitFor(
        () => h.query(stateQuery),
        (s) => s.stage === 'nurture',
      );
      return h.workflowId;
    },
  },
];
