// The sequence DSL: builders, validation (errors name the step path), compilation and graphs.
import { describe, expect, it } from 'vitest';
import {
  assertValidSequences,
  branch,
  compile,
  defineSequence,
  END,
  exit,
  graph,
  handoff,
  on,
  parseDuration,
  pickVariant,
  recycle,
  SequenceError,
  SequenceValidationError,
  send,
  split,
  tag,
  validateSequence,
  wait,
  waitFor,
  when,
} from '../../domain/sequence/index.ts';
import { catalog } from '../../sequences/index.ts';
import { validateCatalog } from '../../sequences/validate-catalog.ts';

const templates = new Set(['welcome', 'ebook-followup-1', 'pricing-followup']);
const ctx = { templates, sequences: new Set(['demo', 'long-cycle-nurture']) };

describe('durations', () => {
  it('parses human durations and refuses nonsense', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('3d')).toBe(3 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(() => parseDuration('soon')).toThrow(/"soon"/);
    expect(() => parseDuration(-5)).toThrow(/non-negative/);
  });
});

describe('defineSequence', () => {
  it('names unnamed steps deterministically, depth first', () => {
    const s = defineSequence({
      id: 'demo',
      version: 1,
      name: 'Demo',
      steps: [send('welcome'), waitFor('email_click', { timeout: '2d', onEvent: [tag(['x'])] }), wait('1d')],
    });
    expect(s.steps.map((x) => x.id)).toEqual(['send-1', 'waitfor-2', 'wait-4']);
    const again = defineSequence({
      id: 'demo',
      version: 1,
      name: 'Demo',
      steps: [send('welcome'), waitFor('email_click', { timeout: '2d', onEvent: [tag(['x'])] }), wait('1d')],
    });
    expect(again).toEqual(s);
  });

  it('rejects a malformed sequence naming the field', () => {
    expect(() => defineSequence({ id: 'Bad Id', version: 1, name: 'x', steps: [send('welcome')] })).toThrow(
      SequenceError,
    );
    expect(() => defineSequence({ id: 'ok', version: 0, name: 'x', steps: [send('welcome')] })).toThrow(
      /ok@0 version/,
    );
    expect(() => defineSequence({ id: 'ok', version: 1, name: 'x', steps: [] })).toThrow(/steps/);
  });
});

describe('validateSequence', () => {
  const issuesOf = (steps: Parameters<typeof defineSequence>[0]['steps'], extra = {}) =>
    validateSequence(defineSequence({ id: 'demo', version: 2, name: 'Demo', steps, ...extra }), ctx);

  it('accepts a well-formed sequence', () => {
    expect(issuesOf([send('welcome'), wait('2d'), send('ebook-followup-1')])).toEqual([]);
  });

  it('names the step path of an unknown template', () => {
    const issues = issuesOf([
      send('welcome'),
      waitFor('email_click', { timeout: '2d', onEvent: [send('webinar-invte')] }),
    ]);
    expect(issues).toEqual([
      { path: 'demo@2 steps[1].onEvent[0]', message: "unknown template 'webinar-invte'" },
    ]);
  });

  it('flags durations out of bounds', () => {
    const issues = issuesOf([wait('10s'), waitFor('email_click', { timeout: '400d' })]);
    expect(issues.map((i) => i.path)).toEqual(['demo@2 steps[0]', 'demo@2 steps[1]']);
    expect(issues[0]?.message).toMatch(/out of bounds/);
  });

  it('flags unreachable steps after an exit, recycle or handoff', () => {
    const issues = issuesOf([send('welcome'), exit('done'), send('ebook-followup-1')]);
    expect(issues).toEqual([
      {
        path: 'demo@2 steps[2]',
        message: "step 'send-3' is unreachable (it follows an exit, recycle or handoff)",
      },
    ]);
    expect(issuesOf([handoff('hot'), wait('1d')])[0]?.path).toBe('demo@2 steps[1]');
  });

  it('flags a loop without a wait', () => {
    expect(issuesOf([send('welcome'), recycle('demo')])[0]?.message).toMatch(/loop without a wait/);
    expect(issuesOf([send('welcome')], { onComplete: { recycleTo: 'demo' } })[0]?.message).toMatch(
      /loop without a wait/,
    );
    expect(issuesOf([send('welcome'), recycle('demo', { after: '30d' })])).toEqual([]);
  });

  it('flags unknown recycle targets and duplicate ids', () => {
    const issues = issuesOf([
      send('welcome', { id: 'a' }),
      send('welcome', { id: 'a' }),
      recycle('nowhere', { after: '1d' }),
    ]);
    expect(issues.map((i) => i.message)).toEqual([
      "step id 'a' is already used at steps[0]",
      "unknown sequence 'nowhere'",
    ]);
  });

  it('assertValidSequences throws one error listing every problem', () => {
    const bad = defineSequence({ id: 'demo', version: 3, name: 'x', steps: [send('nope'), wait('1s')] });
    expect(() => assertValidSequences([bad], templates)).toThrow(SequenceValidationError);
    expect(() => assertValidSequences([bad], templates)).toThrow(
      /demo@3 steps\[0\]: unknown template 'nope'[\s\S]*demo@3 steps\[1\]/,
    );
  });

  it('the shipped catalog is valid against the templates on disk', async () => {
    expect(await validateCatalog()).toBe(catalog.all().length);
  });
});

describe('compile and graph', () => {
  const s = defineSequence({
    id: 'demo',
    version: 1,
    name: 'Demo',
    steps: [
      send('welcome', { id: 'hello' }),
      branch(when.score('intent', 10), [handoff('hot', { id: 'hot' })], [wait('1d', { id: 'pause' })], {
        id: 'check',
      }),
      split(
        {
          a: { weight: 1, steps: [send('ebook-followup-1', { id: 'a-mail' })] },
          b: { weight: 1, steps: [] },
        },
        { id: 'ab' },
      ),
    ],
  });

  it('flattens the tree into jumps that end at END', () => {
    const p = compile(s);
    const at = (id: string) => p.instrs[p.byId.get(id) as number];
    expect(p.entry).toBe(p.byId.get('hello'));
    expect(at('hello')?.next).toBe(p.byId.get('check'));
    const check = at('check') as { then: number; else: number };
    expect(check.then).toBe(p.byId.get('hot'));
    expect(check.else).toBe(p.byId.get('pause'));
    expect(at('pause')?.next).toBe(p.byId.get('ab'));
    const ab = at('ab') as { variants: { name: string; pc: number }[] };
    expect(ab.variants.map((v) => v.pc)).toEqual([p.byId.get('a-mail'), END]);
  });

  it('renders Mermaid with every edge', () => {
    const text = graph(s);
    expect(text.startsWith('flowchart TD')).toBe(true);
    expect(text).toContain('-->|yes|');
    expect(text).toContain('-->|no|');
    expect(text).toContain('-->|a 1|');
    expect(text).toContain('"handoff: hot"');
  });
});

describe('A/B split', () => {
  const variants = [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 1 },
    { name: 'holdout', weight: 2 },
  ];
  it('is stable per key and follows the weights', () => {
    const counts = { a: 0, b: 0, holdout: 0 };
    for (let i = 0; i < 8000; i++) {
      const key = `lead-${i}:seq:split`;
      const v = pickVariant(variants, key);
      expect(pickVariant(variants, key).name).toBe(v.name);
      counts[v.name as keyof typeof counts] += 1;
    }
    expect(counts.holdout / 8000).toBeGreaterThan(0.46);
    expect(counts.holdout / 8000).toBeLessThan(0.54);
    expect(counts.a / 8000).toBeGreaterThan(0.22);
    expect(counts.b / 8000).toBeGreaterThan(0.22);
  });
});

describe('event matchers', () => {
  it('on() matches type, channel and property prefixes', async () => {
    const { matchesEvent } = await import('../../domain/sequence/index.ts');
    const m = on('page_view', { properties: { path: '/pricing*' } });
    expect(matchesEvent(m, { type: 'page_view', properties: { path: '/pricing/enterprise' } })).toBe(true);
    expect(matchesEvent(m, { type: 'page_view', properties: { path: '/blog' } })).toBe(false);
    expect(matchesEvent(m, { type: 'email_click', properties: { path: '/pricing' } })).toBe(false);
  });
});
