// Compiles a step tree into a flat program with explicit jumps. The workflow's position in a
// sequence is then one integer (pc), which is trivial to persist across continue-as-new, to show
// in a query and to migrate between versions by step id.
import type { Sequence, Step } from './schema.ts';

export const END = -1;

type Leaf = Exclude<Step, { kind: 'waitFor' | 'branch' | 'split' }>;
export type Instr =
  | { step: Leaf; path: string; next: number }
  | {
      step: Omit<Extract<Step, { kind: 'waitFor' }>, 'onEvent' | 'onTimeout'>;
      path: string;
      next: number;
      onEvent: number;
      onTimeout: number;
    }
  | {
      step: Omit<Extract<Step, { kind: 'branch' }>, 'then' | 'else'>;
      path: string;
      next: number;
      then: number;
      else: number;
    }
  | {
      step: Omit<Extract<Step, { kind: 'split' }>, 'variants'>;
      path: string;
      next: number;
      variants: { name: string; weight: number; pc: number }[];
    };

export interface Program {
  instrs: Instr[];
  entry: number;
  /** step id → pc, for migrating a running lead to a new version at the same step. */
  byId: Map<string, number>;
}

export function compile(sequence: Sequence): Program {
  const instrs: Instr[] = [];
  const emit = (instr: Instr): number => instrs.push(instr) - 1;

  // Compiles a list back to front so each step already knows its continuation.
  const list = (steps: Step[], continuation: number, path: string): number => {
    let next = continuation;
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i] as Step;
      const p = `${path}[${i}]`;
      if (step.kind === 'waitFor') {
        const { onEvent, onTimeout, ...rest } = step;
        next = emit({
          step: rest,
          path: p,
          next,
          onEvent: list(onEvent, next, `${p}.onEvent`),
          onTimeout: list(onTimeout, next, `${p}.onTimeout`),
        });
      } else if (step.kind === 'branch') {
        const { then, else: otherwise, ...rest } = step;
        next = emit({
          step: rest,
          path: p,
          next,
          then: list(then, next, `${p}.then`),
          else: list(otherwise, next, `${p}.else`),
        });
      } else if (step.kind === 'split') {
        const { variants, ...rest } = step;
        next = emit({
          step: rest,
          path: p,
          next,
          variants: variants.map((v) => ({
            name: v.name,
            weight: v.weight,
            pc: list(v.steps, next, `${p}.${v.name}`),
          })),
        });
      } else {
        next = emit({ step, path: p, next });
      }
    }
    return next;
  };

  const entry = list(sequence.steps, END, 'steps');
  const byId = new Map(instrs.map((instr, pc) => [instr.step.id, pc]));
  return { instrs, entry, byId };
}

/** Pcs reachable from a pc along every edge (used by validation and migration reports). */
export function successors(instr: Instr): number[] {
  if ('onEvent' in instr) return [instr.onEvent, instr.onTimeout];
  if ('then' in instr) return [instr.then, instr.else];
  if ('variants' in instr) return instr.variants.map((v) => v.pc);
  const kind = instr.step.kind;
  // These leave the sequence: nothing after them in the same list runs.
  if (kind === 'exit' || kind === 'recycle' || kind === 'handoff') return [];
  return [instr.next];
}
