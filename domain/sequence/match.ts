// Pure predicates the interpreter evaluates: event matchers, conditions and the A/B split hash.
import type { EngagementEvent } from '../events.ts';
import type { ConditionT, EventMatcher } from './schema.ts';

export function matchesEvent(
  m: EventMatcher,
  e: Pick<EngagementEvent, 'type' | 'channel' | 'properties'>,
): boolean {
  if (!m.types.includes(e.type)) return false;
  if (m.channel && m.channel !== e.channel) return false;
  for (const [key, expected] of Object.entries(m.properties ?? {})) {
    const actual = e.properties[key];
    if (typeof expected === 'string' && expected.endsWith('*')) {
      if (typeof actual !== 'string' || !actual.startsWith(expected.slice(0, -1))) return false;
    } else if (actual !== expected) return false;
  }
  return true;
}

export interface ConditionContext {
  stage: string;
  scores: { fit: number; engagement: number; intent: number };
  tags: readonly string[];
  fields: Readonly<Record<string, string | number | boolean>>;
  events: readonly Pick<EngagementEvent, 'type' | 'channel' | 'properties'>[];
}

export function evaluate(c: ConditionT, ctx: ConditionContext): boolean {
  switch (c.kind) {
    case 'stage':
      return c.in.includes(ctx.stage);
    case 'score':
      return ctx.scores[c.dimension] >= c.atLeast;
    case 'tag':
      return ctx.tags.includes(c.tag);
    case 'field':
      return ctx.fields[c.field] === c.equals;
    case 'seen':
      return ctx.events.some((e) => matchesEvent(c.match, e));
    case 'not':
      return !evaluate(c.condition, ctx);
    case 'all':
      return c.conditions.every((x) => evaluate(x, ctx));
    case 'any':
      return c.conditions.some((x) => evaluate(x, ctx));
  }
}

/** FNV-1a: a stable, well-spread 32-bit hash; the same lead lands in the same variant forever. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function pickVariant<V extends { name: string; weight: number }>(
  variants: readonly V[],
  key: string,
): V {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  let point = (stableHash(key) / 0x1_0000_0000) * total;
  for (const v of variants) {
    if (point < v.weight) return v;
    point -= v.weight;
  }
  return variants[variants.length - 1] as V;
}
