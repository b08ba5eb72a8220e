// Workflow tests: the real lead workflow on the time-skipping server, with activities replaced by
// the simulation recorder (side effects are other suites' business).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { EngagementEvent } from '../../domain/events.ts';
import type { Sequence } from '../../domain/sequence/index.ts';
import { createSimulationActivities, type SimulatedEffect } from '../../simulation/activities.ts';
import type { LeadWorkflowInput, WorkflowProfile } from '../../workflows/definitions.ts';
import { leadWorkflowId } from '../../workflows/definitions.ts';
import { workflowBundle } from '../support/stack.ts';
import { devServerEnv, timeSkippingEnv } from '../support/temporal.ts';

export async function startHarness(opts: { temporal?: 'time-skipping' | 'dev' } = {}) {
  const dev = opts.temporal === 'dev';
  const env: TestWorkflowEnvironment = dev ? await devServerEnv() : await timeSkippingEnv();
  const effects: SimulatedEffect[] = [];
  const taskQueue = 'wf-tests';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createSimulationActivities(effects),
  });
  const running = worker.run();
  let n = 0;

  async function startLead(
    opts: {
      sequence?: Sequence;
      sequenceId?: string;
      profile?: WorkflowProfile;
      extra?: Partial<LeadWorkflowInput>;
    } = {},
  ) {
    n += 1;
    const leadId = `lead-${n}-${Date.now().toString(36)}`;
    const handle = await env.client.workflow.start('leadWorkflow', {
      taskQueue,
      workflowId: leadWorkflowId(leadId),
      args: [
        {
          leadId,
          profile: opts.profile ?? { fields: {}, tags: [], emailDomain: 'corp.test' },
          sequenceId: opts.sequence?.id ?? opts.sequenceId,
          inlineSequences: opts.sequence ? [opts.sequence] : undefined,
          searchAttributes: dev,
          ...opts.extra,
        } satisfies LeadWorkflowInput,
      ],
    });
    const of = (kind?: SimulatedEffect['kind']) =>
      effects.filter((e) => e.leadId === leadId && (!kind || e.kind === kind));
    return { leadId, handle, effects: of };
  }

  let eventSeq = 0;
  /** An engagement event stamped with the server's (skipped) clock, as ingestion would. */
  const event = async (
    type: EngagementEvent['type'],
    extra: Partial<EngagementEvent> = {},
  ): Promise<EngagementEvent> => ({
    id: `ev-${++eventSeq}`,
    type,
    occurredAt: await env.currentTimeMs(),
    properties: {},
    scored: true,
    ...extra,
  });

  return {
    env,
    effects,
    startLead,
    event,
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** Polls a query or effect until it holds (workflow tasks run asynchronously to the test). */
export async function until<T>(
  fn: () => Promise<T> | T,
  ok: (v: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(
        `condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(v).slice(0, 2000)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
