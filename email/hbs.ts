// Handlebars, used logic-less: plain `{{path}}` values plus the built-in if / unless / each / with
// blocks. No helpers, no partials, no `{{{unescaped}}}` output. `analyse()` walks the AST to list the
// variables a template uses (with their line) so the loader can hold them against the contract.
import Handlebars from 'handlebars';

/** An isolated environment: nothing registered on the global Handlebars leaks in. */
export const hbs = Handlebars.create();

export const COMPILE_OPTIONS = { knownHelpersOnly: true, preventIndent: true, strict: false } as const;

const BLOCKS = new Set(['if', 'unless', 'each', 'with']);
const DATA_VARS = new Set(['index', 'first', 'last', 'key']);

export type UsageKind = 'value' | 'if' | 'each' | 'with';

export interface Usage {
  /** Resolved from the root: `handoff.reasons.[]` for `{{this}}` inside `{{#each handoff.reasons}}`. */
  path: string;
  kind: UsageKind;
  /** 1-based line in the analysed source. */
  line: number;
}

export class HbsError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

type Node = hbs.AST.Node;

export function parse(source: string): hbs.AST.Program {
  try {
    return hbs.parse(source);
  } catch (err) {
    const message = String((err as Error).message);
    const line = /line (\d+)/.exec(message)?.[1];
    throw new HbsError(`Handlebars syntax error: ${message.split('\n')[0]}`, line ? Number(line) : undefined);
  }
}

/** Every variable the template reads, in source order. Throws HbsError on a construct we do not allow. */
export function analyse(source: string): Usage[] {
  const usages: Usage[] = [];
  const lineOf = (n: Node) => n.loc?.start.line ?? 1;

  const resolvePath = (expr: hbs.AST.Expression, scopes: readonly string[], at: Node): string | undefined => {
    if (expr.type !== 'PathExpression') {
      throw new HbsError(
        'only plain variable paths are allowed here (no literals or sub-expressions)',
        lineOf(at),
      );
    }
    const p = expr as hbs.AST.PathExpression;
    if (p.data) {
      const [head, ...rest] = p.parts;
      if (head === 'root' && rest.length > 0) return rest.join('.');
      if (head && DATA_VARS.has(head) && rest.length === 0 && scopes.length > 1) return undefined;
      throw new HbsError(`@${p.parts.join('.')} is not available here`, lineOf(at));
    }
    const scope = scopes[scopes.length - 1 - p.depth];
    if (scope === undefined) throw new HbsError(`${p.original} goes above the root context`, lineOf(at));
    const path = [scope, ...p.parts].filter(Boolean).join('.');
    if (!path) throw new HbsError(`${p.original} refers to the whole context`, lineOf(at));
    return path;
  };

  const walk = (node: Node | undefined, scopes: readonly string[]): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program': {
        const program = node as hbs.AST.Program;
        if (program.blockParams?.length)
          throw new HbsError('block parameters (as |x|) are not allowed', lineOf(node));
        for (const s of program.body) walk(s, scopes);
        return;
      }
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        if (!m.escaped) throw new HbsError('{{{...}}} (unescaped output) is not allowed', lineOf(node));
        if (m.params.length > 0 || m.hash) {
          throw new HbsError(
            `helpers are not allowed: {{${(m.path as hbs.AST.PathExpression).original} ...}}`,
            lineOf(node),
          );
        }
        const path = resolvePath(m.path as hbs.AST.Expression, scopes, node);
        if (path) usages.push({ path, kind: 'value', line: lineOf(node) });
        return;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const name = (b.path as hbs.AST.PathExpression).original;
        if (b.path.type !== 'PathExpression' || !BLOCKS.has(name)) {
          throw new HbsError(
            `block {{#${String(name)}}} is not allowed (only if, unless, each, with)`,
            lineOf(node),
          );
        }
        const [param, ...more] = b.params;
        if (!param || more.length > 0 || b.hash)
          throw new HbsError(`{{#${name}}} takes exactly one variable`, lineOf(node));
        const path = resolvePath(param, scopes, node);
        const kind: UsageKind = name === 'unless' ? 'if' : (name as UsageKind);
        if (path) usages.push({ path, kind, line: lineOf(node) });
        const inner =
          name === 'each' && path
            ? [...scopes, `${path}.[]`]
            : name === 'with' && path
              ? [...scopes, path]
              : scopes;
        walk(b.program, inner);
        walk(b.inverse, scopes);
        return;
      }
      default:
        throw new HbsError(`${node.type} is not allowed (no partials or decorators)`, lineOf(node));
    }
  };

  walk(parse(source), ['']);
  return usages;
}
