// A nurture sequence is data: a tree of steps the lead workflow interprets. The zod schema is the
// single source of the types, so builders, validation and the interpreter cannot drift apart.
import { z } from 'zod';
import { Channel, EventType } from '../events.ts';

export const EventMatcher = z.object({
  types: z.array(EventType).min(1),
  channel: Channel.optional(),
  /** Every listed property must equal the event's; strings ending in '*' match by prefix. */
  properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type EventMatcher = z.infer<typeof EventMatcher>;

export const Dimension = z.enum(['fit', 'engagement', 'intent']);

export const Condition: z.ZodType<ConditionT> = z.lazy(() =>
  z.union([
    z.object({ kind: z.literal('stage'), in: z.array(z.string()).min(1) }),
    z.object({ kind: z.literal('score'), dimension: Dimension, atLeast: z.number() }),
    z.object({ kind: z.literal('tag'), tag: z.string().min(1) }),
    z.object({
      kind: z.literal('field'),
      field: z.string().min(1),
      equals: z.union([z.string(), z.number(), z.boolean()]),
    }),
    z.object({ kind: z.literal('seen'), match: EventMatcher }),
    z.object({ kind: z.literal('not'), condition: Condition }),
    z.object({ kind: z.literal('all'), conditions: z.array(Condition).min(1) }),
    z.object({ kind: z.literal('any'), conditions: z.array(Condition).min(1) }),
  ]),
);
export type ConditionT =
  | { kind: 'stage'; in: string[] }
  | { kind: 'score'; dimension: 'fit' | 'engagement' | 'intent'; atLeast: number }
  | { kind: 'tag'; tag: string }
  | { kind: 'field'; field: string; equals: string | number | boolean }
  | { kind: 'seen'; match: EventMatcher }
  | { kind: 'not'; condition: ConditionT }
  | { kind: 'all'; conditions: ConditionT[] }
  | { kind: 'any'; conditions: ConditionT[] };

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, - or _');

export type Step =
  | { kind: 'send'; id: string; template: string }
  | { kind: 'wait'; id: string; ms: number }
  | {
      kind: 'waitFor';
      id: string;
      match: EventMatcher;
      timeoutMs: number;
      onEvent: Step[];
      onTimeout: Step[];
    }
  | { kind: 'branch'; id: string; if: ConditionT; then: Step[]; else: Step[] }
  | { kind: 'split'; id: string; variants: { name: string; weight: number; steps: Step[] }[] }
  | { kind: 'handoff'; id: string; reason: string }
  | { kind: 'recycle'; id: string; to: string; afterMs: number }
  | { kind: 'tag'; id: string; add: string[]; remove: string[] }
  | { kind: 'setField'; id: string; field: string; value: string | number | boolean }
  | { kind: 'exit'; id: string; reason: string };

export const Step: z.ZodType<Step> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('send'), id, template: z.string().min(1) }),
    z.object({ kind: z.literal('wait'), id, ms: z.number().int().nonnegative() }),
    z.object({
      kind: z.literal('waitFor'),
      id,
      match: EventMatcher,
      timeoutMs: z.number().int().nonnegative(),
      onEvent: z.array(Step),
      onTimeout: z.array(Step),
    }),
    z.object({ kind: z.literal('branch'), id, if: Condition, then: z.array(Step), else: z.array(Step) }),
    z.object({
      kind: z.literal('split'),
      id,
      variants: z.array(z.object({ name: id, weight: z.number().positive(), steps: z.array(Step) })).min(2),
    }),
    z.object({ kind: z.literal('handoff'), id, reason: z.string().min(1) }),
    z.object({
      kind: z.literal('recycle'),
      id,
      to: z.string().min(1),
      afterMs: z.number().int().nonnegative(),
    }),
    z.object({ kind: z.literal('tag'), id, add: z.array(z.string()), remove: z.array(z.string()) }),
    z.object({
      kind: z.literal('setField'),
      id,
      field: z.string().min(1),
      value: z.union([z.string(), z.number(), z.boolean()]),
    }),
    z.object({ kind: z.literal('exit'), id, reason: z.string().min(1) }),
  ]),
);

/** What happens to leads already inside a sequence when a new version ships. */
export const MigrationPolicy = z.enum(['keep', 'move_at_next_wait', 'restart']);
export type MigrationPolicy = z.infer<typeof MigrationPolicy>;

export const Sequence = z.object({
  id,
  version: z.number().int().positive(),
  name: z.string().min(1),
  description: z.string().default(''),
  steps: z.array(Step).min(1),
  /** Checked on every event: when one matches, the lead leaves the sequence (e.g. meeting booked). */
  goals: z.array(z.object({ id, when: EventMatcher })).default([]),
  /** Where a lead goes when the sequence ends without a handoff: back to nurture, never dead. */
  onComplete: z
    .object({ recycleTo: z.string().min(1).optional(), afterMs: z.number().int().nonnegative().default(0) })
    .default({ afterMs: 0 }),
  migration: MigrationPolicy.default('keep'),
});
export type Sequence = z.infer<typeof Sequence>;
export type SequenceInput = z.input<typeof Sequence>;
