// simulate(sequence, profile, scriptedEvents): runs the real lead workflow on Temporal's
// time-skipping test server and returns the timeline — which email when, score and stage changes,
// handoff — so a 90-day sequence is checked in seconds before it ships.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { EngagementEvent, EventType } from '../domain/events.ts';
import { type Duration, parseDuration } from '../domain/sequence/duration.ts';
import type { Sequence } from '../domain/sequence/index.ts';
import { findTestServer } from '../temporal/binaries.ts';
import { bundleWorkflows } from '../worker/create.ts';
import {
  eventSignal,
  feedbackUpdate,
  type LeadSnapshot,
  type SalesFeedback,
  stateQuery,
  type WorkflowProfile,
} from '../workflows/definitions.ts';
import { createSimulationActivities, type SimulatedEffect } from './activities.ts';

export interface ScriptedEvent {
  /** Offset from enrolment: "2d", "36h" or ms. */
  at: Duration;
  type: EventType;
  properties?: EngagementEvent['properties'];
  channel?: EngagementEvent['channel'];
  scored?: boolean;
}
export interface ScriptedFeedback {
  at: Duration;
  feedback: SalesFeedback;
}

export interface SimulationResult {
  /** Offsets are ms since enrolment. */
  timeline: { offsetMs: number; kind: string; detail: string }[];
  final: LeadSnapshot;
}

export interface SimulateOptions {
  horizon?: Duration;
  feedback?: ScriptedFeedback[];
  /** Reuse an environment (tests, many simulations); otherwise one is started and stopped. */
  env?: TestWorkflowEnvironment;
}

let bundle: Awaited<ReturnType<typeof bundleWorkflows>> | undefined;

export async function simulate(
  sequence: Sequence,
  profile: WorkflowProfile,
  events: ScriptedEvent[] = [],
  opts: SimulateOptions = {},
): Promise<SimulationResult> {
  const path = findTestServer();
  const env =
    opts.env ??
    (await TestWorkflowEnvironment.createTimeSkipping(
      path ? { server: { executable: { type: 'existing-path', path } } } : {},
    ));
  const effects: SimulatedEffect[] = [];
  const taskQueue = `simulate-${sequence.id}-${Math.random().toString(36).slice(2)}`;
  bundle ??= await bundleWorkflows();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createSimulationActivities(effects),
  });
  try {
    return await worker.runUntil(async () => {
      const leadId = `sim-${Math.random().toString(36).slice(2, 10)}`;
      const handle = await env.client.workflow.start('leadWorkflow', {
        taskQueue,
        workflowId: `lead-${leadId}`,
        args: [
          { leadId, profile, sequenceId: sequence.id, inlineSequences: [sequence], searchAttributes: false },
        ],
      });
      const start = (await handle.describe()).startTime.getTime();
      type Step = { at: number; run: () => Promise<unknown> };
      const steps: Step[] = [
        ...events.map((e, i) => ({
          at: parseDuration(e.at),
          run: () =>
            handle.signal(eventSignal, {
              id: `sim-event-${i}`,
              type: e.type,
              channel: e.channel,
              occurredAt: start + parseDuration(e.at),
              properties: e.properties ?? {},
              scored: e.scored ?? true,
            }),
        })),
        ...(opts.feedback ?? []).map((f) => ({
          at: parseDuration(f.at),
          run: () => handle.executeUpdate(feedbackUpdate, { args: [f.feedback] }),
        })),
      ].sort((a, b) => a.at - b.at);

      let elapsed = 0;
      for (const step of steps) {
        if (step.at > elapsed) await env.sleep(step.at - elapsed);
        elapsed = Math.max(elapsed, step.at);
        await step.run();
      }
      const horizon = parseDuration(opts.horizon ?? '90d');
      if (horizon > elapsed) await env.sleep(horizon - elapsed);
      const final = await handle.query(stateQuery);
      const timeline = [
        ...effects.map((e) => ({ offsetMs: e.at - start, kind: e.kind, detail: e.detail })),
        ...final.timeline
          .filter((t) => t.kind !== 'sent' && t.kind !== 'stage')
          .map((t) => ({ offsetMs: t.at - start, kind: t.kind, detail: t.detail })),
      ].sort((a, b) => a.offsetMs - b.offsetMs);
      await handle.terminate('simulation finished');
      return { timeline, final };
    });
  } finally {
    if (!opts.env) await env.teardown();
  }
}
