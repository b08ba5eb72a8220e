// Graph checks beyond the zod shape: every problem names the sequence and the step path, so a
// marketer sees "lead-magnet@2 steps[3].onEvent[0]: unknown template 'webinar-invte'".
import { formatDuration, MAX_WAIT_MS, MIN_WAIT_MS } from './duration.ts';
import { compile, END, successors } from './program.ts';
import type { Sequence, Step } from './schema.ts';

export interface ValidationContext {
  /** Template ids that exist (templates/). */
  templates: ReadonlySet<string>;
  /** Sequence ids that exist (targets of recycle / onComplete). */
  sequences: ReadonlySet<string>;
}

export interface SequenceIssue {
  path: string;
  message: string;
}

function walk(steps: Step[], path: string, visit: (s: Step, path: string) => void): void {
  steps.forEach((s, i) => {
    const p = `${path}[${i}]`;
    visit(s, p);
    if (s.kind === 'waitFor') {
      walk(s.onEvent, `${p}.onEvent`, visit);
      walk(s.onTimeout, `${p}.onTimeout`, visit);
    } else if (s.kind === 'branch') {
      walk(s.then, `${p}.then`, visit);
      walk(s.else, `${p}.else`, visit);
    } else if (s.kind === 'split') {
      for (const v of s.variants) walk(v.steps, `${p}.${v.name}`, visit);
    }
  });
}

const waitBounds = (ms: number, what: string): string | undefined =>
  ms < MIN_WAIT_MS || ms > MAX_WAIT_MS
    ? `${what} ${formatDuration(ms)} is out of bounds (${formatDuration(MIN_WAIT_MS)} to ${formatDuration(MAX_WAIT_MS)})`
    : undefined;

export function validateSequence(seq: Sequence, ctx: ValidationContext): SequenceIssue[] {
  const issues: SequenceIssue[] = [];
  const add = (path: string, message: string) =>
    issues.push({ path: `${seq.id}@${seq.version} ${path}`, message });
  const seenIds = new Map<string, string>();
  let hasWait = false;

  walk(seq.steps, 'steps', (s, p) => {
    const dup = seenIds.get(s.id);
    if (dup) add(p, `step id '${s.id}' is already used at ${dup}`);
    seenIds.set(s.id, p);
    switch (s.kind) {
      case 'send':
        if (!ctx.templates.has(s.template)) add(p, `unknown template '${s.template}'`);
        break;
      case 'wait': {
        hasWait = true;
        const bad = waitBounds(s.ms, 'wait');
        if (bad) add(p, bad);
        break;
      }
      case 'waitFor': {
        hasWait = true;
        const bad = waitBounds(s.timeoutMs, 'timeout');
        if (bad) add(p, bad);
        break;
      }
      case 'recycle':
        if (!ctx.sequences.has(s.to)) add(p, `unknown sequence '${s.to}'`);
        if (s.afterMs > MAX_WAIT_MS)
          add(p, `after ${formatDuration(s.afterMs)} is longer than ${formatDuration(MAX_WAIT_MS)}`);
        if (s.to === seq.id && s.afterMs < MIN_WAIT_MS && !hasWait)
          add(
            p,
            'loop without a wait: recycling into the same sequence needs a wait before it or an `after`',
          );
        break;
      case 'split': {
        const names = new Set<string>();
        for (const v of s.variants) {
          if (names.has(v.name)) add(p, `variant '${v.name}' appears twice`);
          names.add(v.name);
        }
        break;
      }
      default:
        break;
    }
  });

  const target = seq.onComplete.recycleTo;
  if (target && !ctx.sequences.has(target)) add('onComplete.recycleTo', `unknown sequence '${target}'`);
  if (target === seq.id && !hasWait && seq.onComplete.afterMs < MIN_WAIT_MS)
    add('onComplete', 'loop without a wait: the sequence restarts itself immediately and has no wait step');

  // Unreachable steps: whatever follows an exit, recycle or handoff in the same list.
  const program = compile(seq);
  const reachable = new Set<number>();
  const stack = [program.entry];
  while (stack.length) {
    const pc = stack.pop() as number;
    if (pc === END || reachable.has(pc)) continue;
    reachable.add(pc);
    stack.push(...successors(program.instrs[pc] as (typeof program.instrs)[number]));
  }
  program.instrs.forEach((instr, pc) => {
    if (!reachable.has(pc))
      add(instr.path, `step '${instr.step.id}' is unreachable (it follows an exit, recycle or handoff)`);
  });
  return issues;
}

export class SequenceValidationError extends Error {
  override name = 'SequenceValidationError';
  constructor(readonly issues: SequenceIssue[]) {
    super(`Invalid sequence:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  }
}

export function assertValidSequences(sequences: Sequence[], templates: ReadonlySet<string>): void {
  const ids = new Set(sequences.map((s) => s.id));
  const issues = sequences.flatMap((s) => validateSequence(s, { templates, sequences: ids }));
  if (issues.length) throw new SequenceValidationError(issues);
}
