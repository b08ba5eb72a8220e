// Email templates: MJML (layout + partials + one file per email) compiled once per template version,
// personalised per send with logic-less Handlebars. See templates/README.md for the file format.
//
// Load:  compose the MJML document -> check tags balance and every Handlebars variable against the
//        template's declared contract (file + line on error) -> mjml() with strict validation, ONCE
//        per template id + content hash -> compile the resulting HTML and the derived text with
//        Handlebars. mjml 5 is asynchronous, so loading is async; rendering is synchronous.
// Send:  validate variables (zod) -> strip control characters -> subject, preheader, HTML (escaped),
//        text (not escaped) -> optional click-tracking rewrite and open pixel.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mjml2html from 'mjml';
import {
  checkTagBalance,
  expand,
  type FrontMatterField,
  readTemplateFile,
  type SourceLine,
} from './compose.ts';
import { type SourceLocation, TemplateError } from './errors.ts';
import { analyse, COMPILE_OPTIONS, HbsError, hbs, type Usage } from './hbs.ts';
import { addOpenPixel, LinkTracker, type RewriteLink, replaceLinks } from './links.ts';
import { type MjmlNode, textTemplateFromMjml, tidyText } from './text.ts';
import {
  getPath,
  type PathKind,
  pathKind,
  RenderVars,
  type RenderVarsInput,
  type RenderVarsSample,
  SAMPLE_VARS,
} from './vars.ts';

export { TemplateError } from './errors.ts';
export type { RewriteLink } from './links.ts';
export { RenderVars, type RenderVarsInput, type RenderVarsSample, SAMPLE_VARS } from './vars.ts';

export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../templates', import.meta.url));

export interface RenderOptions {
  /** Replaces each http(s) link (not mailto:, not the unsubscribe / preferences links), e.g. with a click-tracking URL. */
  rewriteLink?: RewriteLink;
  /** Appends a 1x1 image with this src (open tracking). */
  openPixelUrl?: string;
}

export interface RenderedEmail {
  subject: string;
  preheader: string;
  html: string;
  text: string;
}

export interface TemplateRegistry {
  ids(): string[];
  has(id: string): boolean;
  /** The template's variable contract (layout + email), e.g. `['content.title', 'lead.firstName', 'links.download', ...]`. */
  variables(id: string): string[];
  /** Same contract split by whether `render()` insists on a value. */
  contract(id: string): { required: string[]; optional: string[] };
  render(id: string, vars: RenderVarsInput, opts?: RenderOptions): RenderedEmail;
  /** Renders with the built-in sample data, optionally overridden one level deep. */
  preview(id: string, sample?: RenderVarsSample, opts?: RenderOptions): RenderedEmail;
}

const EMAIL_KEYS = ['subject', 'preheader', 'layout', 'variables', 'description'] as const;
const LAYOUT_KEYS = ['variables', 'description'] as const;
const ID = /^[a-z0-9][a-z0-9-]*$/;
/** Always available, never declared: the personalised subject and preheader (for <title> and the preview text). */
const IMPLICIT = new Set(['email', 'email.subject', 'email.preheader']);

const MJML_OPTIONS = {
  validationLevel: 'strict',
  keepComments: false,
  fonts: {},
  minify: false,
  beautify: false,
} as const;

type Delegate = ReturnType<typeof hbs.compile>;

interface ContractEntry {
  optional: boolean;
  origin: SourceLocation;
}

/** A template as read from disk, before MJML. */
interface TemplateSource {
  id: string;
  lines: SourceLine[];
  mjml: string;
  subject: string;
  preheader: string;
  contract: Map<string, ContractEntry>;
  hash: string;
}

/** The compiled form, cached per id + hash. */
interface CompiledTemplate {
  html: Delegate;
  text: Delegate;
  subject: Delegate;
  preheader: Delegate;
}

interface Entry {
  source: TemplateSource;
  compiled: CompiledTemplate;
  required: string[];
  optional: string[];
  /** The naive baseline's Handlebars-over-MJML template, built on first use by renderWithMjmlEachTime. */
  mjmlSource?: Delegate;
}

const compiledCache = new Map<string, CompiledTemplate>();
const stats = { mjmlCompiles: 0, baselineMjmlCalls: 0 };

/** How many times mjml() ran to compile templates (and, separately, in the per-send baseline). */
export function compileStats(): Readonly<typeof stats> {
  return { ...stats };
}

/** Forgets every compiled template (tests). */
export function clearCompileCache(): void {
  compiledCache.clear();
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Loads, validates and compiles every `emails/*.mjml` under `dir`. Throws TemplateError on the first problem. */
export async function loadTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Promise<TemplateRegistry> {
  const emailsDir = join(dir, 'emails');
  if (!existsSync(emailsDir)) throw new Error(`no emails/ directory in ${dir}`);
  const ids = readdirSync(emailsDir)
    .filter((f) => f.endsWith('.mjml'))
    .map((f) => f.slice(0, -'.mjml'.length))
    .sort();
  const entries = new Map<string, Entry>();
  for (const id of ids) {
    if (!ID.test(id))
      throw new TemplateError('format', id, 'template ids are lower-case letters, digits and dashes');
    const source = readSource(dir, id);
    const key = `${id}:${source.hash}`;
    let compiled = compiledCache.get(key);
    if (!compiled) {
      compiled = await compile(source);
      compiledCache.set(key, compiled);
    }
    const required = [...source.contract].filter(([, c]) => !c.optional).map(([p]) => p);
    const optional = [...source.contract].filter(([, c]) => c.optional).map(([p]) => p);
    entries.set(id, { source, compiled, required: required.sort(), optional: optional.sort() });
  }
  const registry = new Registry(entries);
  registries.set(registry, entries);
  return registry;
}

function readSource(root: string, id: string): TemplateSource {
  const email = readTemplateFile(root, `emails/${id}.mjml`, id, EMAIL_KEYS);
  const subject = email.fields.get('subject');
  if (!subject?.value)
    throw new TemplateError('format', id, 'front matter needs a subject', { file: email.file, line: 1 });
  const preheader = email.fields.get('preheader') ?? { value: '', line: 1 };
  const layoutField = email.fields.get('layout');
  const layoutName = layoutField?.value ?? 'base';
  const layoutAt = { file: email.file, line: layoutField?.line ?? 1 };
  if (!ID.test(layoutName) || !existsSync(join(root, 'layouts', `${layoutName}.mjml`))) {
    throw new TemplateError('format', id, `no layout named "${layoutName}" in layouts/`, layoutAt);
  }
  const layout = readTemplateFile(root, `layouts/${layoutName}.mjml`, id, LAYOUT_KEYS);

  const contract = new Map<string, ContractEntry>();
  declare(contract, id, layout.file, layout.fields.get('variables'));
  declare(contract, id, email.file, email.fields.get('variables'));

  const lines = expand(root, layout.body, id, expand(root, email.body, id));
  checkTagBalance(lines, id);
  const mjml = lines.map((l) => l.text).join('\n');

  const at = (line: number | undefined) => (line ? lines[line - 1]?.origin : undefined);
  for (const usage of usagesOf(id, mjml, at)) checkUsage(id, usage, contract, at(usage.line));
  for (const [name, field] of [
    ['subject', subject],
    ['preheader', preheader],
  ] as const) {
    const where = () => ({ file: email.file, line: field.line });
    for (const usage of usagesOf(id, field.value, where)) {
      if (usage.path === 'email' || usage.path.startsWith('email.')) {
        throw new TemplateError('unknown_variable', id, `the ${name} cannot use ${usage.path}`, where());
      }
      checkUsage(id, usage, contract, where());
    }
  }

  const hash = createHash('sha256')
    .update(
      JSON.stringify({ mjml, subject: subject.value, preheader: preheader.value, options: MJML_OPTIONS }),
    )
    .digest('hex');
  return { id, lines, mjml, subject: subject.value, preheader: preheader.value, contract, hash };
}

/** Parses a `variables: a, b?, c` front matter line into the contract. */
function declare(
  contract: Map<string, ContractEntry>,
  id: string,
  file: string,
  field: FrontMatterField | undefined,
): void {
  if (!field) return;
  const origin = { file, line: field.line };
  for (const raw of field.value.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const optional = item.endsWith('?');
    const path = optional ? item.slice(0, -1) : item;
    if (IMPLICIT.has(path)) continue;
    if (!pathKind(path) || path.includes('[]') || path.includes('*')) {
      throw new TemplateError(
        'unknown_variable',
        id,
        `declares "${path}", which is not a render variable (see email/vars.ts)`,
        origin,
      );
    }
    const existing = contract.get(path);
    contract.set(path, { optional: existing ? existing.optional && optional : optional, origin });
  }
}

function usagesOf(
  id: string,
  source: string,
  at: (line: number | undefined) => SourceLocation | undefined,
): Usage[] {
  try {
    return analyse(source);
  } catch (err) {
    if (err instanceof HbsError) throw new TemplateError('syntax', id, err.message, at(err.line));
    throw err;
  }
}

const KIND_NEEDED: Record<Usage['kind'], PathKind | undefined> = {
  value: 'leaf',
  each: 'array',
  with: 'object',
  if: undefined,
};

function checkUsage(
  id: string,
  usage: Usage,
  contract: ReadonlyMap<string, ContractEntry>,
  at: SourceLocation | undefined,
) {
  const kind = pathKind(usage.path);
  if (!kind) {
    throw new TemplateError(
      'unknown_variable',
      id,
      `{{${usage.path}}} is not a render variable (see email/vars.ts)`,
      at,
    );
  }
  const declared =
    IMPLICIT.has(usage.path) ||
    [...contract.keys()].some((d) => usage.path === d || usage.path.startsWith(`${d}.`));
  if (!declared) {
    throw new TemplateError(
      'unknown_variable',
      id,
      `uses {{${usage.path}}}, which is not in its declared variables (add it to "variables:" in the front matter)`,
      at,
    );
  }
  const needed = KIND_NEEDED[usage.kind];
  if (needed && needed !== kind) {
    const hint =
      kind === 'array'
        ? `use {{#each ${usage.path}}}`
        : kind === 'object'
          ? 'print one of its fields'
          : 'not a list';
    throw new TemplateError(
      'syntax',
      id,
      `{{${usage.kind === 'value' ? '' : `#${usage.kind} `}${usage.path}}}: ${usage.path} is ${kind === 'leaf' ? 'a value' : `an ${kind}`} (${hint})`,
      at,
    );
  }
}

async function compile(source: TemplateSource): Promise<CompiledTemplate> {
  const { id } = source;
  const at = (line: number | undefined) => (line ? source.lines[line - 1]?.origin : undefined);
  stats.mjmlCompiles++;
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(source.mjml, MJML_OPTIONS);
  } catch (err) {
    const first = (err as { errors?: { line?: number; message?: string }[] }).errors?.[0];
    const detail = first?.message ?? String((err as Error).message);
    throw new TemplateError('mjml', id, `MJML: ${detail}`, at(first?.line));
  }

  const htmlSource = result.html;
  const textSource = textTemplateFromMjml(result.json as unknown as MjmlNode);
  // MJML drops text placed directly between components (e.g. {{#if}} around an mj-button): every
  // expression of the source must still be in the HTML (MJML may copy some, e.g. the title).
  const outAt = () => undefined;
  usagesOf(id, textSource, outAt);
  const produced = new Map<string, number>();
  for (const u of usagesOf(id, htmlSource, outAt))
    produced.set(`${u.kind} ${u.path}`, (produced.get(`${u.kind} ${u.path}`) ?? 0) + 1);
  for (const usage of usagesOf(id, source.mjml, at)) {
    const key = `${usage.kind} ${usage.path}`;
    const left = produced.get(key) ?? 0;
    if (left === 0) {
      throw new TemplateError(
        'mjml',
        id,
        `{{${usage.kind === 'value' ? '' : `#${usage.kind} `}${usage.path}}} disappeared in the MJML output: put Handlebars inside mj-text, mj-button, mj-table or an attribute value`,
        at(usage.line),
      );
    }
    produced.set(key, left - 1);
  }

  const text = { ...COMPILE_OPTIONS, noEscape: true };
  const compiled: CompiledTemplate = {
    html: hbs.compile(htmlSource, COMPILE_OPTIONS),
    // ignoreStandalone: a block tag alone on its line must keep its line break ("- item" per line)
    text: hbs.compile(textSource, { ...text, ignoreStandalone: true }),
    subject: hbs.compile(source.subject, text),
    preheader: hbs.compile(source.preheader, text),
  };
  // Handlebars compiles lazily on first call: do it now, not on the first send.
  for (const delegate of Object.values(compiled)) delegate({});
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Rendering

const registries = new WeakMap<TemplateRegistry, ReadonlyMap<string, Entry>>();

class Registry implements TemplateRegistry {
  constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  ids(): string[] {
    return [...this.entries.keys()];
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  variables(id: string): string[] {
    const e = entry(this.entries, id);
    return [...e.required, ...e.optional].sort();
  }

  contract(id: string): { required: string[]; optional: string[] } {
    const e = entry(this.entries, id);
    return { required: [...e.required], optional: [...e.optional] };
  }

  render(id: string, vars: RenderVarsInput, opts: RenderOptions = {}): RenderedEmail {
    const e = entry(this.entries, id);
    const ctx = context(e, vars);
    return finish(e.compiled.html(ctx), e.compiled.text(ctx), ctx, opts);
  }

  preview(id: string, sample?: RenderVarsSample, opts?: RenderOptions): RenderedEmail {
    return this.render(id, withSample(sample), opts);
  }
}

function entry(entries: ReadonlyMap<string, Entry>, id: string): Entry {
  const e = entries.get(id);
  if (!e) throw new TemplateError('not_found', id, 'no such template');
  return e;
}

type Context = RenderVars & { email: { subject: string; preheader: string } };

/** Validated, cleaned variables plus the computed ones; throws TemplateError('invalid_vars'). */
function context(e: Entry, vars: RenderVarsInput): Context {
  const parsed = RenderVars.safeParse(vars);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TemplateError('invalid_vars', e.source.id, `invalid variables: ${issues}`);
  }
  const v = clean(parsed.data) as RenderVars;
  const lead = { ...v.lead, name: [v.lead.firstName, v.lead.lastName].filter(Boolean).join(' ') };
  const handoff = v.handoff && {
    ...v.handoff,
    reminder: v.handoff.kind === 'reminder',
    escalation: v.handoff.kind === 'escalation',
  };
  const base = { ...v, lead, handoff };
  for (const path of e.required) {
    const value = getPath(base, path);
    if (value === undefined || value === null || value === '') {
      throw new TemplateError('invalid_vars', e.source.id, `missing required variable ${path}`);
    }
  }
  const email = {
    subject: oneLine(e.compiled.subject(base)),
    preheader: oneLine(e.compiled.preheader(base)),
  };
  return { ...base, email };
}

function finish(html: string, rawText: string, ctx: Context, opts: RenderOptions): RenderedEmail {
  let outHtml = html;
  let text = tidyText(rawText);
  if (opts.rewriteLink) {
    const keep = new Set([ctx.links.unsubscribe, ctx.links.preferences].filter((l): l is string => !!l));
    const tracker = new LinkTracker(opts.rewriteLink, keep);
    outHtml = tracker.html(outHtml);
    text = tracker.text(text);
  } else {
    text = replaceLinks(text, (url) => url);
  }
  if (opts.openPixelUrl) outHtml = addOpenPixel(outHtml, opts.openPixelUrl);
  return { subject: ctx.email.subject, preheader: ctx.email.preheader, html: outHtml, text };
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Strips control characters (C0/C1, bidi overrides, BOM) from every string; line breaks become
 * spaces. Values then cannot break a text line, a header or the text part's link markers.
 */
function clean(value: unknown): unknown {
  if (typeof value === 'string') return cleanString(value);
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clean(v);
    return out;
  }
  return value;
}

function cleanString(s: string): string {
  let safe = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0x2028 && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069) ||
      c === 0xfeff
    ) {
      safe = false;
      break;
    }
  }
  if (safe) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13 && s.charCodeAt(i + 1) === 10) continue; // CRLF: one space
    if (c === 9 || c === 10 || c === 13 || c === 0x2028 || c === 0x2029) out += ' ';
    else if (
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069) ||
      c === 0xfeff
    )
      continue;
    else out += s[i];
  }
  return out;
}

function withSample(sample: RenderVarsSample = {}): RenderVarsInput {
  const out: Record<string, unknown> = { ...SAMPLE_VARS };
  for (const [key, value] of Object.entries(sample)) {
    const base = out[key];
    const mergeable =
      value && typeof value === 'object' && !Array.isArray(value) && base && typeof base === 'object';
    out[key] = mergeable ? { ...base, ...value } : value;
  }
  return out as RenderVarsInput;
}

// ---------------------------------------------------------------------------------------------
// Baseline for bench/render.bench.ts only: what "just call mjml() per send" costs.

/**
 * Personalises the MJML source with Handlebars, then runs mjml() on every call. Same variables,
 * same output as `registry.render()`; it only exists to measure what compiling once saves.
 */
export async function renderWithMjmlEachTime(
  registry: TemplateRegistry,
  id: string,
  vars: RenderVarsInput,
  opts: RenderOptions = {},
): Promise<RenderedEmail> {
  const entries = registries.get(registry);
  if (!entries) throw new Error('renderWithMjmlEachTime needs a registry from loadTemplates()');
  const e = entry(entries, id);
  e.mjmlSource ??= hbs.compile(e.source.mjml, COMPILE_OPTIONS);
  const ctx = context(e, vars);
  stats.baselineMjmlCalls++;
  const { html } = await mjml2html(e.mjmlSource(ctx), { ...MJML_OPTIONS, validationLevel: 'soft' });
  return finish(html, e.compiled.text(ctx), ctx, opts);
}
