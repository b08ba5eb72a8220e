// Template files on disk -> one MJML document per email, keeping track of where every line came from
// so an error in the composed document can name the file and line the author has to fix.
//
// Format: an email (`emails/<id>.mjml`) and a layout (`layouts/<name>.mjml`) start with a front
// matter block (`key: value` lines between `---` lines). A layout has a `<!-- @content -->` line
// where the email body goes; any file can pull in a partial with `<mj-include path="..." />` alone on
// its line (resolved by us at load time, relative to the including file, never outside the
// templates directory).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { type SourceLocation, TemplateError } from './errors.ts';

export interface SourceLine {
  text: string;
  origin: SourceLocation;
}

export interface FrontMatterField {
  value: string;
  line: number;
}

export interface TemplateFile {
  file: string;
  fields: Map<string, FrontMatterField>;
  body: SourceLine[];
}

const INCLUDE_LINE = /^\s*<mj-include\s+path="([^"]+)"\s*\/>\s*$/;
const CONTENT_LINE = /^\s*<!--\s*@content\s*-->\s*$/;
const MAX_INCLUDE_DEPTH = 8;

/** Reads a template file and splits its front matter (if any) from its body. */
export function readTemplateFile(
  root: string,
  file: string,
  templateId: string,
  allowed: readonly string[],
): TemplateFile {
  const abs = join(root, file);
  let raw: string;
  try {
    raw = readFileSync(abs, 'utf8');
  } catch {
    throw new TemplateError('format', templateId, `cannot read ${file}`);
  }
  const lines = raw.replace(/^\uFEFF/, '').split(/\r?\n/);
  const fields = new Map<string, FrontMatterField>();
  let bodyStart = 0;
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
    if (end < 0)
      throw new TemplateError('format', templateId, 'front matter is not closed by a --- line', {
        file,
        line: 1,
      });
    for (let i = 1; i < end; i++) {
      const text = (lines[i] ?? '').trim();
      if (text === '' || text.startsWith('#')) continue;
      const m = /^([a-zA-Z]+)\s*:\s*(.*)$/.exec(text);
      const at = { file, line: i + 1 };
      if (!m)
        throw new TemplateError(
          'format',
          templateId,
          `expected "key: value" in front matter, got "${text}"`,
          at,
        );
      const [, key = '', rawValue = ''] = m;
      if (!allowed.includes(key)) {
        throw new TemplateError(
          'format',
          templateId,
          `unknown front matter key "${key}" (allowed: ${allowed.join(', ')})`,
          at,
        );
      }
      if (fields.has(key))
        throw new TemplateError('format', templateId, `duplicate front matter key "${key}"`, at);
      fields.set(key, { value: unquote(rawValue.trim()), line: i + 1 });
    }
    bodyStart = end + 1;
  }
  const body = lines.slice(bodyStart).map((text, i) => ({ text, origin: { file, line: bodyStart + i + 1 } }));
  return { file, fields, body };
}

function unquote(value: string): string {
  const q = value[0];
  return (q === '"' || q === "'") && value.length >= 2 && value.endsWith(q) ? value.slice(1, -1) : value;
}

/**
 * Expands includes in `lines` and, when `content` is given, puts it in place of the
 * `<!-- @content -->` line (which must then appear exactly once).
 */
export function expand(
  root: string,
  lines: readonly SourceLine[],
  templateId: string,
  content?: readonly SourceLine[],
  stack: readonly string[] = [],
): SourceLine[] {
  const out: SourceLine[] = [];
  let contentPlaced = false;
  for (const line of lines) {
    const include = INCLUDE_LINE.exec(line.text);
    if (include) {
      const target = resolveInclude(root, line.origin, include[1] ?? '', templateId);
      if (stack.includes(target) || stack.length >= MAX_INCLUDE_DEPTH) {
        throw new TemplateError(
          'format',
          templateId,
          `include cycle: ${[...stack, target].join(' -> ')}`,
          line.origin,
        );
      }
      const partial = readTemplateFile(root, target, templateId, []);
      if (partial.fields.size > 0) {
        throw new TemplateError(
          'format',
          templateId,
          'a partial has no front matter',
          partial.body[0]?.origin,
        );
      }
      out.push(...expand(root, partial.body, templateId, undefined, [...stack, target]));
    } else if (line.text.includes('<mj-include')) {
      throw new TemplateError(
        'format',
        templateId,
        'write includes as <mj-include path="..." /> alone on their line',
        line.origin,
      );
    } else if (CONTENT_LINE.test(line.text)) {
      if (!content)
        throw new TemplateError(
          'format',
          templateId,
          '<!-- @content --> is only allowed in a layout',
          line.origin,
        );
      if (contentPlaced)
        throw new TemplateError('format', templateId, 'a layout has one <!-- @content --> line', line.origin);
      out.push(...content);
      contentPlaced = true;
    } else {
      out.push(line);
    }
  }
  if (content && !contentPlaced) {
    throw new TemplateError(
      'format',
      templateId,
      'the layout has no <!-- @content --> line',
      lines[0]?.origin,
    );
  }
  return out;
}

function resolveInclude(root: string, from: SourceLocation, path: string, templateId: string): string {
  const abs = resolve(root, dirname(from.file), path);
  const realRoot = realpathSync(root);
  const real = existsSync(abs) ? realpathSync(abs) : undefined;
  if (!real) throw new TemplateError('format', templateId, `included file ${path} does not exist`, from);
  if (!real.startsWith(realRoot + sep)) {
    throw new TemplateError(
      'format',
      templateId,
      `included file ${path} is outside the templates directory`,
      from,
    );
  }
  return relative(realRoot, real).split(sep).join('/');
}

// MJML's parser is lenient: an unclosed <mj-text> silently swallows the rest of the document. We
// check that mj-* tags balance first, so the author gets a line number instead of a truncated email.
const MJ_TAG = /<(\/?)(mjml|mj-[a-z-]+)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g;

export function checkTagBalance(lines: readonly SourceLine[], templateId: string): void {
  const source = lines
    .map((l) => l.text)
    .join('\n')
    .replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  const lineAt = (index: number) => {
    let n = 0;
    for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) n++;
    return lines[n]?.origin;
  };
  const open: { tag: string; index: number }[] = [];
  for (const m of source.matchAll(MJ_TAG)) {
    const [, closing, tag = '', attrs = ''] = m;
    if (attrs.trimEnd().endsWith('/')) continue;
    if (!closing) {
      open.push({ tag, index: m.index });
      continue;
    }
    const top = open.pop();
    if (!top) throw new TemplateError('mjml', templateId, `</${tag}> closes nothing`, lineAt(m.index));
    if (top.tag !== tag) {
      const found = lineAt(m.index);
      const where = found ? ` (${found.file}, line ${found.line})` : '';
      throw new TemplateError(
        'mjml',
        templateId,
        `<${top.tag}> is not closed: found </${tag}>${where}`,
        lineAt(top.index),
      );
    }
  }
  const unclosed = open.pop();
  if (unclosed)
    throw new TemplateError('mjml', templateId, `<${unclosed.tag}> is never closed`, lineAt(unclosed.index));
}
