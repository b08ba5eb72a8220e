// The lead's journey: one long-lived workflow per lead (id from the internal lead id, never the
// address). It interprets the enrolled sequence, rescores on every event, hands off to sales when
// scoring or the sequence says so, and recycles silent or rejected leads to nurture.
import {
  ApplicationFailure,
  allHandlersFinished,
  type ChildWorkflowHandle,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { EngagementEvent } from '../domain/events.ts';
import { canTransition, type ReasonCode, type Stage, transition } from '../domain/lifecycle/index.ts';
import type { Program, Sequence } from '../domain/sequence/index.ts';
import {
  type ConditionContext,
  compile,
  END,
  evaluate,
  matchesEvent,
  pickVariant,
} from '../domain/sequence/index.ts';
import { catalog, DEFAULT_SEQUENCE, NURTURE_SEQUENCE, REJECTION_SEQUENCE } from '../sequences/index.ts';
import {
  answeredSignal,
  enrolUpdate,
  eraseSignal,
  eventSignal,
  exitUpdate,
  feedbackUpdate,
  type HandoffResult,
  handoffWorkflowId,
  type LeadSnapshot,
  type LeadState,
  type LeadWorkflowInput,
  migrateUpdate,
  profileSignal,
  type SalesFeedback,
  stateQuery,
  unsubscribeSignal,
} from './definitions.ts';
import { handoffWorkflow } from './handoff.ts';
import { rescore } from './rescore.ts';
import { upsertLeadSearchAttributes } from './search-attributes.ts';

/** Patch id (workflow versioning): the hand-off child starts while the MQL transition is recorded. */
const HANDOFF_WHILE_RECORDING = 'handoff-while-recording-mql';

const { sendEmail, recordTransition, eraseLead } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
// Which version of a sequence is "latest" depends on the deployed catalog, not on history: ask a
// local activity so the answer is recorded and a replay after a new version ships stays the same.
const { latestSequenceVersion } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5 seconds' });
// Subscribers' endpoints may be down for a while: retry for a day without holding up the journey.
const { deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

const MAX_EVENTS = 500; // scoring window kept in state (caps and decay only need recent events); the full log is in the database
const MAX_TIMELINE = 200;
const HISTORY_LIMIT = 8_000; // continue-as-new well before Temporal's 50k-event hard limit

export async function leadWorkflow(input: LeadWorkflowInput): Promise<LeadSnapshot> {
  const now = () => Date.now();
  const useSearchAttributes = input.searchAttributes !== false;
  const state: LeadState = input.state ?? {
    leadId: input.leadId,
    // Everyone starts as a subscriber; the first real interaction makes them a lead (see absorbInbox).
    stage: 'subscriber',
    profile: input.profile,
    scores: { fit: 0, engagement: 0, intent: 0 },
    explanation: [],
    events: [],
    unsubscribed: false,
    counters: { enrolments: 0, transitions: 0, handoffs: 0, events: 0 },
    timeline: [],
  };
  const inbox: EngagementEvent[] = [];
  const seen = new Set(state.events.map((e) => e.id));
  let erased = false;
  let handoffResult: HandoffResult | undefined;
  let child: ChildWorkflowHandle<typeof handoffWorkflow> | undefined;
  /** The MQL transition of a starting hand-off is being recorded (stage still the old one). */
  let recordingMql = false;
  let program: Program | undefined;
  let programKey = '';
  let webhooksInFlight = 0;

  // Sequences passed in the input (simulations, drafts under test) shadow the shipped catalog.
  const findSequence = (id: string, version?: number): Sequence | undefined => {
    const inline = (input.inlineSequences ?? []).filter(
      (s) => s.id === id && (version === undefined || s.version === version),
    );
    if (inline.length) return inline.reduce((a, b) => (b.version > a.version ? b : a));
    return version === undefined ? catalog.latest(id) : catalog.get(id, version);
  };

  const note = (kind: LeadState['timeline'][number]['kind'], detail: string) => {
    state.timeline.push({ at: now(), kind, detail });
    if (state.timeline.length > MAX_TIMELINE) state.timeline.splice(0, state.timeline.length - MAX_TIMELINE);
  };

  const currentSequence = (): Sequence | undefined =>
    state.enrolment ? findSequence(state.enrolment.sequenceId, state.enrolment.version) : undefined;

  const currentProgram = (): Program | undefined => {
    const seq = currentSequence();
    if (!seq) return undefined;
    const key = `${seq.id}@${seq.version}`;
    if (key !== programKey) {
      program = compile(seq);
      programKey = key;
    }
    return program;
  };

  const snapshot = (): LeadSnapshot => {
    const prog = currentProgram();
    const e = state.enrolment;
    return {
      leadId: state.leadId,
      // A hand-off starts while its MQL transition is recorded: observers see the two together.
      stage: recordingMql ? 'mql' : state.stage,
      scores: state.scores,
      explanation: state.explanation,
      sequence: e
        ? { id: e.sequenceId, version: e.version, step: prog?.instrs[e.pc]?.step.id, waitUntil: e.waitUntil }
        : undefined,
      pending: state.pending,
      handoff: state.handoff,
      unsubscribed: state.unsubscribed,
      tags: state.profile.tags ?? [],
      counters: state.counters,
      timeline: state.timeline,
    };
  };

  const syncSearchAttributes = () => {
    if (!useSearchAttributes) return;
    const prog = currentProgram();
    upsertLeadSearchAttributes({
      stage: state.stage,
      scores: state.scores,
      sequence: state.enrolment?.sequenceId,
      step: state.enrolment ? prog?.instrs[state.enrolment.pc]?.step.id : undefined,
    });
  };

  const moveTo = async (
    to: Stage,
    reason: ReasonCode,
    actor: { kind: 'scoring_rule' | 'sales_user' | 'workflow' | 'operator'; id: string },
    ruleIds: string[] = [],
  ) => {
    const t = transition(state.stage, to, { reason, actor, snapshot: state.scores, ruleIds, at: now() });
    state.counters.transitions += 1;
    await recordTransition({
      leadId: state.leadId,
      key: `${workflowInfo().workflowId}:${state.counters.transitions}`,
      from: t.from,
      to: t.to,
      reason: t.reason,
      actor: `${t.actor.kind}:${t.actor.id}`,
      snapshot: { ...t.snapshot, ruleIds: t.ruleIds, explanation: state.explanation },
    });
    state.stage = to;
    note('stage', `${t.from} → ${t.to} (${reason})`);
    syncSearchAttributes();
    webhooksInFlight += 1;
    void deliverWebhook({
      event: 'lead.stage_changed',
      key: `${workflowInfo().workflowId}:${state.counters.transitions}`,
      payload: {
        leadId: state.leadId,
        from: t.from,
        to: t.to,
        reason: t.reason,
        actor: `${t.actor.kind}:${t.actor.id}`,
        scores: t.snapshot,
        at: now(),
      },
    })
      .catch((err) => log.warn('stage-change webhook gave up', { error: String(err) }))
      .finally(() => {
        webhooksInFlight -= 1;
      });
  };

  const enrol = async (sequenceId: string, version?: number) => {
    const inline = (input.inlineSequences ?? []).some((x) => x.id === sequenceId);
    const pinned = version ?? (inline ? undefined : await latestSequenceVersion({ sequenceId }));
    const seq = findSequence(sequenceId, pinned);
    if (!seq)
      throw ApplicationFailure.nonRetryable(
        `unknown sequence '${sequenceId}${version ? `@${version}` : ''}'`,
      );
    state.counters.enrolments += 1;
    state.enrolment = {
      id: `${seq.id}@${seq.version}#${state.counters.enrolments}`,
      sequenceId: seq.id,
      version: seq.version,
      pc: compile(seq).entry,
      startedAt: now(),
    };
    state.pending = undefined;
    note('enrolled', `${seq.id}@${seq.version}`);
    syncSearchAttributes();
  };

  const leaveSequence = (why: string) => {
    if (state.enrolment) note('exited', `${state.enrolment.sequenceId}: ${why}`);
    state.enrolment = undefined;
  };

  /** Back to nurture, never dead: the stage says nurture and the long-cycle sequence takes over. */
  const recycleTo = async (
    sequenceId: string,
    afterMs: number,
    reason: ReasonCode,
    actor = { kind: 'workflow' as const, id: 'sequence' },
  ) => {
    leaveSequence(`recycled to ${sequenceId}`);
    if (state.stage !== 'nurture' && canTransition(state.stage, 'nurture', actor))
      await moveTo('nurture', reason, actor);
    if (afterMs > 0) state.pending = { sequenceId, at: now() + afterMs, reason };
    else await enrol(sequenceId);
  };

  const startHandoff = async (reason: ReasonCode, ruleIds: string[], actorId: string) => {
    if (state.handoff || state.stage === 'disqualified') return;
    let recording: Promise<void> | undefined;
    if (state.stage !== 'mql') {
      if (!canTransition(state.stage, 'mql', { kind: 'scoring_rule' })) return; // sql and beyond: sales already owns it
      recordingMql = true;
      recording = moveTo('mql', reason, { kind: 'scoring_rule', id: actorId }, ruleIds).finally(() => {
        recordingMql = false;
      });
      // Sales hears at once: the child starts in the same workflow task that records the MQL
      // transition. Histories from before this change waited for the record first.
      if (!patched(HANDOFF_WHILE_RECORDING)) {
        await recording;
        recording = undefined;
      }
    }
    try {
      leaveSequence('handed off to sales');
      state.counters.handoffs += 1;
      const handoffId = `${state.leadId}-${state.counters.handoffs}`;
      const workflowId = handoffWorkflowId(handoffId);
      handoffResult = undefined;
      child = await startChild(handoffWorkflow, {
        workflowId,
        args: [
          {
            handoffId,
            leadId: state.leadId,
            scores: state.scores,
            reasons: state.explanation,
            profile: state.profile,
          },
        ],
        // A handoff outlives a continue-as-new or a crash of this run: sales still gets reminded.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      state.handoff = { id: handoffId, workflowId, startedAt: now() };
      note('handoff', `${handoffId} (${reason})`);
      void child.result().then(
        (r) => {
          // Ignore the result of a handoff the lead has already moved past (answered, replaced).
          if (state.handoff?.id === handoffId) handoffResult = r;
        },
        // A failed hand-off workflow must not take the journey down (an unhandled rejection fails
        // every workflow task); the lead stays with sales, visible in the query and the logs.
        (err) => log.warn('hand-off workflow failed', { handoffId, error: String(err) }),
      );
    } finally {
      await recording; // also when starting the child failed: never leave the record unawaited
    }
  };

  /** Records one event and lets it move the sequence (goal reached, waitFor answered). */
  const record = (event: EngagementEvent): boolean => {
    if (seen.has(event.id)) return false; // at-least-once delivery from the API: count each event once
    seen.add(event.id);
    state.events.push(event);
    if (state.events.length > MAX_EVENTS) {
      for (const dropped of state.events.splice(0, state.events.length - MAX_EVENTS)) seen.delete(dropped.id);
    }
    state.counters.events += 1;
    note('event', `${event.type}${event.scored ? '' : ' (not scored)'}`);
    if (event.type === 'unsubscribe' || event.type === 'complaint' || event.type === 'bounce') {
      state.unsubscribed = true;
      leaveSequence(`${event.type}: no more marketing email`);
    }
    const goal = currentSequence()?.goals.find((g) => matchesEvent(g.when, event));
    if (goal) {
      note('goal', goal.id);
      leaveSequence(`goal ${goal.id} reached`);
    }
    // A waitFor step resumes on its onEvent branch when the event matches.
    const prog = currentProgram();
    const instr = state.enrolment && prog ? prog.instrs[state.enrolment.pc] : undefined;
    if (state.enrolment && instr && 'onEvent' in instr && matchesEvent(instr.step.match, event)) {
      state.enrolment.pc = instr.onEvent;
      state.enrolment.waitUntil = undefined;
    }
    return true;
  };

  /**
   * Takes every event waiting in the inbox, then rescores once and acts on the decision:
   * disqualify, hand off or recycle. One rescore per batch keeps a burst of signals cheap.
   */
  const absorbInbox = async () => {
    const fresh: EngagementEvent[] = [];
    while (inbox.length) {
      const event = inbox.shift() as EngagementEvent;
      if (record(event)) fresh.push(event);
    }
    if (!fresh.length) return;

    // Seeds: a subscriber who does more than sign up for the newsletter (a download, a form, a
    // visit...) is a lead ("suspect"); an imported contact is one by declaration.
    const imported = fresh.find((e) => e.type === 'custom' && e.properties.name === 'imported');
    const promoter =
      imported ??
      fresh.find(
        (e) => e.scored && !['newsletter_signup', 'unsubscribe', 'bounce', 'complaint'].includes(e.type),
      );
    if (state.stage === 'subscriber' && promoter) {
      await moveTo('lead', imported ? 'import' : 'form_submitted', { kind: 'workflow', id: promoter.type });
    }

    const result = rescore(state, now());
    state.scores = result.scores;
    state.explanation = result.explanation;
    syncSearchAttributes();

    if (
      result.decision === 'disqualify' &&
      state.stage !== 'disqualified' &&
      canTransition(state.stage, 'disqualified')
    ) {
      leaveSequence('disqualified');
      await moveTo(
        'disqualified',
        'disqualifier',
        { kind: 'scoring_rule', id: result.causes[0] ?? 'disqualifier' },
        result.causes,
      );
    } else if (result.decision === 'mql') {
      const reason: ReasonCode = result.handRaiser
        ? 'hand_raiser'
        : state.stage === 'nurture'
          ? 're_engaged'
          : 'score_threshold';
      await startHandoff(reason, result.causes, result.causes[0] ?? 'score');
    } else if (result.decision === 'recycle' && state.stage === 'mql' && !state.handoff) {
      await recycleTo(NURTURE_SEQUENCE, 0, 'no_engagement', { kind: 'workflow', id: 'scoring' });
    }
  };

  /** Moves the enrolment to another version at the same step id (same wait end), or its start. */
  const switchVersion = (toVersion: number) => {
    const e = state.enrolment;
    const target = e && findSequence(e.sequenceId, toVersion);
    if (!e || !target) return;
    const stepId = currentProgram()?.instrs[e.pc]?.step.id;
    const next = compile(target);
    const pc = stepId === undefined ? undefined : next.byId.get(stepId);
    note(
      'enrolled',
      `${e.sequenceId}@${e.version} → @${toVersion} at ${pc === undefined ? 'start' : stepId}`,
    );
    e.version = toVersion;
    e.pc = pc ?? next.entry;
    if (pc === undefined) e.waitUntil = undefined;
    state.migration = undefined;
    syncSearchAttributes();
  };
  const atWait = () => {
    const e = state.enrolment;
    const kind = e ? currentProgram()?.instrs[e.pc]?.step.kind : undefined;
    return kind === 'wait' || kind === 'waitFor';
  };

  const onHandoffDone = async (result: HandoffResult) => {
    const ref = state.handoff;
    state.handoff = undefined;
    child = undefined;
    handoffResult = undefined;
    if (result.outcome === 'expired' && state.stage === 'mql') {
      note('handoff', `${ref?.id} not accepted in time`);
      await recycleTo(NURTURE_SEQUENCE, 0, 'sla_expired', { kind: 'workflow', id: 'sla' });
    }
  };

  const applyFeedback = async (fb: SalesFeedback) => {
    const actor = { kind: 'sales_user' as const, id: fb.actor };
    note('feedback', `${fb.kind}${fb.reason ? `: ${fb.reason}` : ''}`);
    if (state.handoff) {
      // The answer closes the handoff: stop its SLA clock. It may have just expired; that is fine.
      const { workflowId } = state.handoff;
      state.handoff = undefined;
      child = undefined;
      handoffResult = undefined;
      await getExternalWorkflowHandle(workflowId)
        .signal(answeredSignal, { kind: fb.kind, actor: fb.actor })
        .catch((err) => log.info('handoff already closed', { error: String(err) }));
    }
    switch (fb.kind) {
      case 'accept':
        return moveTo('sql', 'sales_accepted', actor);
      case 'reject':
        await moveTo('nurture', 'sales_rejected', actor);
        leaveSequence('rejected by sales');
        return enrol(REJECTION_SEQUENCE);
      case 'opportunity':
        return moveTo('opportunity', 'sales_accepted', actor);
      case 'won':
        if (state.stage === 'sql') await moveTo('opportunity', 'sales_accepted', actor);
        return moveTo('customer', 'won', actor);
      case 'lost':
        await moveTo('nurture', 'lost', actor);
        leaveSequence('opportunity lost');
        return enrol(NURTURE_SEQUENCE);
    }
  };

  // ---- handlers ----
  setHandler(eventSignal, (e) => {
    inbox.push(e);
  });
  setHandler(profileSignal, (p) => {
    state.profile = { ...state.profile, ...p };
    // Rescore at the next loop turn: fit may have changed.
    inbox.push({
      id: `profile-${now()}-${state.events.length}`,
      type: 'custom',
      occurredAt: now(),
      properties: { name: 'profile_updated' },
      scored: false,
    });
  });
  setHandler(unsubscribeSignal, ({ reason }) => {
    state.unsubscribed = true;
    leaveSequence(`unsubscribed (${reason})`);
  });
  setHandler(eraseSignal, () => {
    erased = true;
  });
  setHandler(stateQuery, snapshot);
  setHandler(
    enrolUpdate,
    async ({ sequenceId, version }) => {
      await enrol(sequenceId, version);
      return snapshot();
    },
    {
      validator: ({ sequenceId, version }) => {
        if (!findSequence(sequenceId, version))
          throw new Error(`sequenceId: unknown sequence '${sequenceId}${version ? `@${version}` : ''}'`);
        if (state.stage === 'disqualified') throw new Error('stage: a disqualified lead cannot be enrolled');
        if (state.unsubscribed) throw new Error('lead: unsubscribed leads cannot be enrolled');
        if (state.handoff) throw new Error('lead: a handoff to sales is pending');
      },
    },
  );
  setHandler(
    exitUpdate,
    ({ reason }) => {
      leaveSequence(reason);
      state.pending = undefined;
      return snapshot();
    },
    {
      validator: ({ reason }) => {
        if (!reason) throw new Error('reason: required');
        if (!state.enrolment && !state.pending) throw new Error('lead: not enrolled in any sequence');
      },
    },
  );
  setHandler(
    migrateUpdate,
    async ({ toVersion, policy }) => {
      if (policy === 'restart') {
        const id = state.enrolment?.sequenceId as string;
        leaveSequence(`restarted on version ${toVersion}`);
        await enrol(id, toVersion);
      } else if (policy === 'move_at_next_wait') {
        state.migration = { toVersion };
        if (atWait()) switchVersion(toVersion);
      }
      return snapshot();
    },
    {
      validator: ({ sequenceId, toVersion, policy }) => {
        if (!['keep', 'move_at_next_wait', 'restart'].includes(policy))
          throw new Error(`policy: unknown policy '${policy}'`);
        const e = state.enrolment;
        if (!e || e.sequenceId !== sequenceId)
          throw new Error(`sequenceId: the lead is not in '${sequenceId}'`);
        if (!findSequence(sequenceId, toVersion))
          throw new Error(`toVersion: '${sequenceId}@${toVersion}' does not exist`);
        if (e.version >= toVersion) throw new Error(`toVersion: the lead is already on version ${e.version}`);
      },
    },
  );
  setHandler(
    feedbackUpdate,
    async (fb) => {
      // An answer that arrives while the MQL transition is still being recorded waits for it.
      await condition(() => !recordingMql);
      await applyFeedback(fb);
      return snapshot();
    },
    {
      validator: (fb: SalesFeedback) => {
        const target: Record<SalesFeedback['kind'], Stage[]> = {
          accept: ['mql'],
          reject: ['mql', 'sql'],
          opportunity: ['sql'],
          won: ['sql', 'opportunity'],
          lost: ['sql', 'opportunity'],
        };
        if (!target[fb.kind]) throw new Error(`kind: must be one of ${Object.keys(target).join(', ')}`);
        const stage = recordingMql ? 'mql' : state.stage; // the transition being recorded counts
        if (!target[fb.kind].includes(stage))
          throw new Error(`kind: '${fb.kind}' is not possible while the lead is '${stage}'`);
        if ((fb.kind === 'reject' || fb.kind === 'lost') && !fb.reason?.trim())
          throw new Error('reason: required for reject and lost');
        if (fb.handoffId && state.handoff && fb.handoffId !== state.handoff.id)
          throw new Error(`handoffId: '${fb.handoffId}' is not the pending handoff`);
      },
    },
  );

  // ---- start ----
  if (!input.state) {
    await enrol(input.sequenceId ?? DEFAULT_SEQUENCE);
  } else if (state.handoff) {
    // Continued-as-new runs never carry a pending handoff (we wait for it first), but be safe.
    state.handoff = undefined;
  }
  syncSearchAttributes();

  // ---- main loop ----
  for (;;) {
    if (erased) break;
    await absorbInbox();
    if (handoffResult) await onHandoffDone(handoffResult);

    if (
      !state.handoff &&
      inbox.length === 0 &&
      (workflowInfo().continueAsNewSuggested ||
        workflowInfo().historyLength > (input.historyLimit ?? HISTORY_LIMIT))
    ) {
      await condition(() => allHandlersFinished() && webhooksInFlight === 0);
      // Signals that arrived while we waited would be lost with this run: absorb them first (a
      // steady stream of signals must not postpone the new run forever).
      while (inbox.length && !erased) await absorbInbox();
      if (inbox.length === 0 && !erased && !state.handoff && handoffResult === undefined)
        return continueAsNew<typeof leadWorkflow>({ ...input, state });
      continue;
    }

    const interrupted = () => inbox.length > 0 || erased || handoffResult !== undefined;

    if (!state.enrolment) {
      if (state.pending) {
        const { sequenceId, at } = state.pending;
        if (at <= now()) await enrol(sequenceId);
        else
          await condition(
            () => interrupted() || state.enrolment !== undefined || state.pending === undefined,
            at - now(),
          );
      } else {
        await condition(() => interrupted() || state.enrolment !== undefined || state.pending !== undefined);
      }
      continue;
    }

    const e = state.enrolment;
    const prog = currentProgram() as Program;
    if (e.pc === END) {
      const seq = currentSequence() as Sequence;
      leaveSequence('completed');
      const target = seq.onComplete.recycleTo;
      if (target) await recycleTo(target, seq.onComplete.afterMs, 'no_engagement');
      continue;
    }
    if (state.migration && atWait()) {
      switchVersion(state.migration.toVersion);
      continue;
    }
    const instr = prog.instrs[e.pc];
    if (!instr) throw ApplicationFailure.nonRetryable(`pc ${e.pc} out of range in ${e.id}`);
    const step = instr.step;

    const pcAtStart = e.pc;
    // Waits (and deferred sends) are resumable: the end time is state, so an interruption by an
    // event that does not end the wait simply waits again for the remaining time.
    const waitUntilDone = async (ms: number): Promise<boolean> => {
      e.waitUntil ??= now() + ms;
      syncSearchAttributes();
      const remaining = e.waitUntil - now();
      const version = e.version;
      const moved = () => state.enrolment !== e || e.pc !== pcAtStart || e.version !== version;
      if (remaining > 0 && (await condition(() => interrupted() || moved(), remaining))) return false;
      if (moved()) return false;
      e.waitUntil = undefined;
      return true;
    };

    switch (step.kind) {
      case 'send': {
        if (e.waitUntil && !(await waitUntilDone(0))) break; // deferred by quiet hours / frequency cap
        if (state.unsubscribed) {
          note('suppressed', `${step.template} (unsubscribed)`);
          e.pc = instr.next;
          break;
        }
        const res = await sendEmail({
          leadId: state.leadId,
          sendKey: `${state.leadId}/${e.id}:${step.id}`,
          template: step.template,
        });
        // A hard bounce must reach scoring even if the lead left the sequence meanwhile.
        if (res.status === 'bounced') {
          inbox.push({
            id: `bounce-${e.id}:${step.id}`,
            type: 'bounce',
            channel: 'email',
            occurredAt: now(),
            properties: {},
            scored: true,
          });
        }
        if (state.enrolment !== e) break;
        if (res.status === 'deferred') {
          e.waitUntil = res.retryAt;
          note('deferred', `${step.template} until ${new Date(res.retryAt).toISOString()} (${res.reason})`);
          break;
        }
        note(
          res.status === 'sent' ? 'sent' : 'suppressed',
          `${step.template}${res.status === 'sent' ? '' : ` (${res.reason})`}`,
        );
        e.pc = instr.next;
        break;
      }
      case 'wait':
        if (await waitUntilDone(step.ms)) e.pc = instr.next;
        break;
      case 'waitFor':
        if ('onTimeout' in instr && (await waitUntilDone(step.timeoutMs))) e.pc = instr.onTimeout;
        break;
      case 'branch':
        if ('then' in instr) e.pc = evaluate(step.if, conditionContext(state)) ? instr.then : instr.else;
        break;
      case 'split':
        if ('variants' in instr) {
          const v = pickVariant(instr.variants, `${state.leadId}:${e.sequenceId}:${step.id}`);
          note('event', `split ${step.id} → ${v.name}`);
          e.pc = v.pc;
        }
        break;
      case 'handoff':
        await startHandoff('score_threshold', [step.id], `${e.sequenceId}:${step.id}`);
        break;
      case 'recycle':
        await recycleTo(step.to, step.afterMs, 'no_engagement');
        break;
      case 'tag': {
        const tags = new Set(state.profile.tags ?? []);
        for (const t of step.add) tags.add(t);
        for (const t of step.remove) tags.delete(t);
        state.profile.tags = [...tags];
        e.pc = instr.next;
        break;
      }
      case 'setField':
        state.profile.fields = { ...(state.profile.fields ?? {}), [step.field]: step.value };
        e.pc = instr.next;
        break;
      case 'exit':
        leaveSequence(step.reason);
        break;
    }
    if (state.enrolment === e && e.pc !== pcAtStart) syncSearchAttributes();
  }

  if (child) {
    log.info('erasing lead with a pending handoff; cancelling it', { handoffId: state.handoff?.id });
    await getExternalWorkflowHandle(child.workflowId).cancel();
  }
  await eraseLead({ leadId: state.leadId });
  return { ...snapshot(), timeline: [], explanation: [] };
}

function conditionContext(state: LeadState): ConditionContext {
  return {
    stage: state.stage,
    scores: state.scores,
    tags: state.profile.tags ?? [],
    fields: state.profile.fields ?? {},
    events: state.events,
  };
}
