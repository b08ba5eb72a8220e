// Typed helpers marketers write sequences with. They only build data; `defineSequence` names
// unnamed steps deterministically and validates the shape with zod.
import type { Channel, EventType } from '../events.ts';
import { type Duration, parseDuration } from './duration.ts';
import { type ConditionT, type EventMatcher, Sequence, type Step } from './schema.ts';

type Draft<S> = S extends { id: string } ? Omit<S, 'id'> & { id?: string } : never;
type StepDraft = DraftStep;
type DraftStep =
  | Draft<Extract<Step, { kind: 'send' | 'wait' | 'handoff' | 'recycle' | 'tag' | 'setField' | 'exit' }>>
  | (Omit<Extract<Step, { kind: 'waitFor' }>, 'id' | 'onEvent' | 'onTimeout'> & {
      id?: string;
      onEvent: DraftStep[];
      onTimeout: DraftStep[];
    })
  | (Omit<Extract<Step, { kind: 'branch' }>, 'id' | 'then' | 'else'> & {
      id?: string;
      then: DraftStep[];
      else: DraftStep[];
    })
  | { kind: 'split'; id?: string; variants: { name: string; weight: number; steps: DraftStep[] }[] };

type Opt = { id?: string };
type MatcherInput = EventType | EventType[] | EventMatcher;

function matcher(input: MatcherInput): EventMatcher {
  if (typeof input === 'string') return { types: [input] };
  if (Array.isArray(input)) return { types: input };
  return input;
}

export const send = (template: string, o: Opt = {}): StepDraft => ({ kind: 'send', template, ...o });
export const wait = (duration: Duration, o: Opt = {}): StepDraft => ({
  kind: 'wait',
  ms: parseDuration(duration),
  ...o,
});
export const waitFor = (
  match: MatcherInput,
  o: Opt & { timeout: Duration; onEvent?: StepDraft[]; onTimeout?: StepDraft[] },
): StepDraft => ({
  kind: 'waitFor',
  id: o.id,
  match: matcher(match),
  timeoutMs: parseDuration(o.timeout),
  onEvent: o.onEvent ?? [],
  onTimeout: o.onTimeout ?? [],
});
export const branch = (
  condition: ConditionT,
  then: StepDraft[],
  otherwise: StepDraft[] = [],
  o: Opt = {},
): StepDraft => ({
  kind: 'branch',
  if: condition,
  then,
  else: otherwise,
  ...o,
});
/** A/B test or holdout: a lead always lands in the same variant (stable hash of lead + sequence). */
export const split = (
  variants: Record<string, { weight: number; steps: StepDraft[] }>,
  o: Opt = {},
): StepDraft => ({
  kind: 'split',
  variants: Object.entries(variants).map(([name, v]) => ({ name, ...v })),
  ...o,
});
export const handoff = (reason: string, o: Opt = {}): StepDraft => ({ kind: 'handoff', reason, ...o });
export const recycle = (to: string, o: Opt & { after?: Duration } = {}): StepDraft => ({
  kind: 'recycle',
  to,
  afterMs: parseDuration(o.after ?? 0),
  id: o.id,
});
export const tag = (add: string[], remove: string[] = [], o: Opt = {}): StepDraft => ({
  kind: 'tag',
  add,
  remove,
  ...o,
});
export const setField = (field: string, value: string | number | boolean, o: Opt = {}): StepDraft => ({
  kind: 'setField',
  field,
  value,
  ...o,
});
export const exit = (reason: string, o: Opt = {}): StepDraft => ({ kind: 'exit', reason, ...o });

/** A goal ends the sequence as soon as a matching event arrives (e.g. a meeting booked). */
export const goal = (id: string, when: MatcherInput) => ({ id, when: matcher(when) });

export const on = (
  types: EventType | EventType[],
  extra: { channel?: Channel; properties?: EventMatcher['properties'] } = {},
) => ({
  ...matcher(types),
  ...extra,
});

export const when = {
  stage: (...stages: string[]): ConditionT => ({ kind: 'stage', in: stages }),
  score: (dimension: 'fit' | 'engagement' | 'intent', atLeast: number): ConditionT => ({
    kind: 'score',
    dimension,
    atLeast,
  }),
  tag: (name: string): ConditionT => ({ kind: 'tag', tag: name }),
  field: (field: string, equals: string | number | boolean): ConditionT => ({ kind: 'field', field, equals }),
  seen: (match: MatcherInput): ConditionT => ({ kind: 'seen', match: matcher(match) }),
  not: (condition: ConditionT): ConditionT => ({ kind: 'not', condition }),
  all: (...conditions: ConditionT[]): ConditionT => ({ kind: 'all', conditions }),
  any: (...conditions: ConditionT[]): ConditionT => ({ kind: 'any', conditions }),
};

export interface SequenceDraft {
  id: string;
  version: number;
  name: string;
  description?: string;
  steps: StepDraft[];
  goals?: { id: string; when: EventMatcher }[];
  onComplete?: { recycleTo?: string; after?: Duration };
  migration?: Sequence['migration'];
}

/** Gives unnamed steps stable ids in depth-first order ("send-1", "wait-2", ...) and parses. */
export function defineSequence(draft: SequenceDraft): Sequence {
  let counter = 0;
  const name = (steps: StepDraft[]): unknown[] =>
    steps.map((s) => {
      counter += 1;
      const withId = { ...s, id: s.id ?? `${s.kind.toLowerCase()}-${counter}` };
      if (withId.kind === 'waitFor')
        return { ...withId, onEvent: name(withId.onEvent), onTimeout: name(withId.onTimeout) };
      if (withId.kind === 'branch') return { ...withId, then: name(withId.then), else: name(withId.else) };
      if (withId.kind === 'split')
        return { ...withId, variants: withId.variants.map((v) => ({ ...v, steps: name(v.steps) })) };
      return withId;
    });
  const { onComplete, ...rest } = draft;
  const parsed = Sequence.safeParse({
    ...rest,
    steps: name(draft.steps),
    onComplete: onComplete
      ? { recycleTo: onComplete.recycleTo, afterMs: parseDuration(onComplete.after ?? 0) }
      : undefined,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `${draft.id}@${draft.version} ${i.path.join('.')}: ${i.message}`,
    );
    throw new SequenceError(lines);
  }
  return parsed.data;
}

export class SequenceError extends Error {
  override name = 'SequenceError';
  constructor(readonly issues: string[]) {
    super(`Invalid sequence:\n  ${issues.join('\n  ')}`);
  }
}
