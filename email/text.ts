// The plain-text alternative, generated once per template from the MJML tree (not from the final
// HTML, whose layout tables would leak into the text): mj-text and mj-table content become
// paragraphs, lists and "label: value" lines, buttons become "Label: URL". Handlebars expressions
// pass through untouched, so the result is itself a template, rendered per send without escaping.
//
// Link targets are wrapped in LINK_START / LINK_END so that click tracking can find them per send
// without guessing where a URL ends; values cannot contain these characters (control characters
// are stripped from every variable before rendering).

export const LINK_START = String.fromCharCode(1);
export const LINK_END = String.fromCharCode(2);

export interface MjmlNode {
  tagName: string;
  attributes?: Record<string, string>;
  children?: MjmlNode[];
  content?: string;
}

const CONTAINERS = new Set(['mj-body', 'mj-wrapper', 'mj-section', 'mj-column', 'mj-group', 'mj-hero']);
const BLOCK_TAGS = new Set([
  'p',
  'div',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'table',
  'ul',
  'ol',
  'section',
]);
const SKIP_TAGS = new Set(['style', 'script', 'head', 'title']);

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  rsquo: '\u2019',
  lsquo: '\u2018',
  rdquo: '\u201d',
  ldquo: '\u201c',
  mdash: '\u2014',
  ndash: '\u2013',
  hellip: '\u2026',
  middot: '\u00b7',
  bull: '\u2022',
  copy: '\u00a9',
  reg: '\u00ae',
  trade: '\u2122',
  rarr: '\u2192',
  larr: '\u2190',
};

/** Decodes the entities MJML authors and Handlebars' escaping produce. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X'
          ? Number.parseInt(ref.slice(2), 16)
          : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

/** Accumulates text with "at least n line breaks here" semantics, so nested blocks do not pile up blank lines. */
class TextWriter {
  private out = '';
  private pendingBreaks = 0;
  private atLineStart = true;

  write(s: string): void {
    if (!s) return;
    let text = s;
    if (this.pendingBreaks > 0 && this.out) {
      this.out += '\n'.repeat(this.pendingBreaks);
      this.atLineStart = true;
    }
    this.pendingBreaks = 0;
    if (this.atLineStart) text = text.replace(/^ +/, '');
    if (!text) return;
    this.out += text;
    this.atLineStart = text.endsWith('\n');
  }

  breaks(n: number): void {
    this.pendingBreaks = Math.max(this.pendingBreaks, n);
  }

  lineBreak(): void {
    // <br>: each one counts, two in a row make a blank line
    this.pendingBreaks = Math.min(this.pendingBreaks + 1, 2);
  }

  toString(): string {
    return this.out;
  }
}

const link = (href: string) => `${LINK_START}${href}${LINK_END}`;
const stripTags = (html: string) =>
  decodeEntities(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();

const TOKEN = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|([^<]+)|</g;

function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(attrs);
  return m ? decodeEntities(m[1] ?? m[2] ?? '') : undefined;
}

/** Writes an HTML fragment (mj-text / mj-table content) as text. */
function htmlToText(html: string, w: TextWriter): void {
  const anchors: (string | undefined)[] = []; // hrefs of the open <a> elements
  let captured = ''; // text written since the innermost <a> opened, to tell "link text" from "URL"
  let skipping: string | undefined;
  let cell = 0;
  for (const m of html.matchAll(TOKEN)) {
    const [whole, closing, rawTag, attrs = '', text] = m;
    if (whole.startsWith('<!--')) continue;
    const tag = rawTag?.toLowerCase();
    if (skipping) {
      if (closing && tag === skipping) skipping = undefined;
      continue;
    }
    if (text !== undefined || whole === '<') {
      const t = decodeEntities(text ?? '<').replace(/\s+/g, ' ');
      w.write(t);
      if (anchors.length) captured += t;
      continue;
    }
    if (!tag) continue;
    if (SKIP_TAGS.has(tag) && !closing) {
      skipping = tag;
    } else if (BLOCK_TAGS.has(tag)) {
      w.breaks(2);
    } else if (tag === 'br') {
      w.lineBreak();
    } else if (tag === 'hr') {
      w.breaks(2);
      w.write('---');
      w.breaks(2);
    } else if (tag === 'li' && !closing) {
      w.breaks(1);
      w.write('- ');
    } else if (tag === 'tr' && !closing) {
      w.breaks(1);
      cell = 0;
    } else if ((tag === 'td' || tag === 'th') && !closing) {
      if (cell === 1) w.write(': ');
      else if (cell > 1) w.write('  ');
      cell++;
    } else if (tag === 'a' && !closing) {
      anchors.push(attr(attrs, 'href'));
      captured = '';
    } else if (tag === 'a' && closing) {
      const label = captured.trim();
      const href = anchors.pop()?.trim();
      if (href && href !== '#' && label !== href && `mailto:${label}` !== href) w.write(` (${link(href)})`);
    }
  }
}

function walk(node: MjmlNode, w: TextWriter): void {
  const href = node.attributes?.href;
  switch (node.tagName) {
    case 'mj-text':
    case 'mj-table':
      w.breaks(2);
      htmlToText(node.content ?? '', w);
      w.breaks(2);
      return;
    case 'mj-button': {
      const label = stripTags(node.content ?? '');
      w.breaks(2);
      w.write(href ? `${label}: ${link(decodeEntities(href))}` : label);
      w.breaks(2);
      return;
    }
    case 'mj-image':
      if (href) {
        w.breaks(2);
        w.write(`${node.attributes?.alt || 'Link'}: ${link(decodeEntities(href))}`);
        w.breaks(2);
      }
      return;
    case 'mj-divider':
      w.breaks(2);
      w.write('---');
      w.breaks(2);
      return;
    case 'mj-raw':
    case 'mj-spacer':
      return;
    default:
      if (CONTAINERS.has(node.tagName)) w.breaks(2);
      for (const child of node.children ?? []) walk(child, w);
  }
}

/** Text template (Handlebars source) for an MJML document's body. */
export function textTemplateFromMjml(root: MjmlNode): string {
  const body = root.tagName === 'mj-body' ? root : root.children?.find((c) => c.tagName === 'mj-body');
  const w = new TextWriter();
  if (body) walk(body, w);
  return w.toString();
}

/** Per-send clean-up of rendered text: no indentation or trailing spaces, at most one blank line in a row. */
export function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/^[ \t]+/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
