// Turns zod issues into "path: message" lines such as `engagement[2].halfLifeDays: must be > 0`.
import type { z } from 'zod';

export interface FieldIssue {
  /** Dotted path with array indexes, e.g. `engagement[2].halfLifeDays` ('' for the root). */
  path: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'symbol') out += `[${String(key)}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function bound(issue: { origin?: unknown; inclusive?: boolean }, value: unknown, small: boolean): string {
  const n = String(value);
  switch (issue.origin) {
    case 'array':
    case 'set':
      return small ? `must have at least ${n} item(s)` : `must have at most ${n} item(s)`;
    case 'string':
      return small ? `must be at least ${n} character(s)` : `must be at most ${n} character(s)`;
    default: {
      const op = small ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      return `must be ${op} ${n}`;
    }
  }
}

/** One line per problem; unknown keys get their own path so typos are easy to find. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    switch (issue.code) {
      case 'too_small':
        out.push({ path, message: bound(issue, issue.minimum, true) });
        break;
      case 'too_big':
        out.push({ path, message: bound(issue, issue.maximum, false) });
        break;
      case 'invalid_type': {
        const msg = issue.message
          .replace(/^Invalid input: /, '')
          .replace(/^expected int,/, 'expected integer,');
        out.push({
          path,
          message: /received undefined$/.test(msg)
            ? `is required (${msg.replace(/, received undefined$/, '')})`
            : msg,
        });
        break;
      }
      case 'invalid_value':
        out.push({
          path,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        });
        break;
      case 'unrecognized_keys':
        for (const key of issue.keys)
          out.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
        break;
      case 'invalid_union': {
        const options = (issue as { options?: unknown[] }).options;
        out.push({
          path,
          message: Array.isArray(options)
            ? `must be one of ${options.map((v) => JSON.stringify(v)).join(', ')}`
            : issue.message,
        });
        break;
      }
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

export function issueLines(issues: readonly FieldIssue[]): string[] {
  return issues.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
}

/** Base class of the scoring validation errors: `issues` for programs, `message` for people. */
export class ValidationError extends Error {
  readonly issues: FieldIssue[];
  constructor(what: string, issues: FieldIssue[]) {
    super(`${what}: ${issueLines(issues).join('; ')}`);
    this.issues = issues;
  }
}

/** Thrown by parseScoringModel. */
export class ScoringModelError extends ValidationError {
  override readonly name = 'ScoringModelError';
  constructor(issues: FieldIssue[]) {
    super('invalid scoring model', issues);
  }
}

/** Thrown by parseEvents / parseProfile. */
export class ScoringInputError extends ValidationError {
  override readonly name = 'ScoringInputError';
}
