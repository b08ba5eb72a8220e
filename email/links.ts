// Per-send post-processing of a rendered email: click-tracking rewrite of links (HTML and text) and
// the open pixel. Works on the final HTML, where every attribute value is double-quoted by MJML and
// every variable is HTML-escaped, so a value can never open or close an attribute or a tag.
import { decodeEntities, LINK_END, LINK_START } from './text.ts';

export type RewriteLink = (href: string, index: number) => string;

export function escapeAttr(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&#39;');
}

const isHttp = (url: string) => /^https?:\/\//i.test(url);

/** Rewrites trackable links once per distinct occurrence; the text part reuses the HTML's rewrites. */
export class LinkTracker {
  private next = 0;
  private readonly rewritten = new Map<string, string>();

  constructor(
    private readonly rewrite: RewriteLink,
    /** Links that must stay as they are (unsubscribe, preferences). */
    private readonly keep: ReadonlySet<string>,
  ) {}

  trackable(url: string): boolean {
    return isHttp(url) && !this.keep.has(url);
  }

  /** HTML: each <a href> gets its own index, in document order. */
  html(html: string): string {
    return html.replace(
      /(<a\b[^>]*?\shref=")([^"]*)(")/gi,
      (whole, before: string, raw: string, after: string) => {
        const url = decodeEntities(raw).trim();
        if (!this.trackable(url)) return whole;
        const tracked = this.call(url);
        if (!this.rewritten.has(url)) this.rewritten.set(url, tracked);
        return `${before}${escapeAttr(tracked)}${after}`;
      },
    );
  }

  /** Text: the same URL as in the HTML gets the same tracked URL. */
  text(text: string): string {
    return replaceLinks(text, (url) => {
      if (!this.trackable(url)) return url;
      const known = this.rewritten.get(url);
      if (known) return known;
      const tracked = this.call(url);
      this.rewritten.set(url, tracked);
      return tracked;
    });
  }

  private call(url: string): string {
    const out = this.rewrite(url, this.next++);
    if (typeof out !== 'string' || !isHttp(out))
      throw new Error(`rewriteLink must return an http(s) URL, got ${String(out)}`);
    return out;
  }
}

/** Replaces every LINK_START url LINK_END marker of a rendered text part. */
export function replaceLinks(text: string, map: (url: string) => string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const start = text.indexOf(LINK_START, from);
    if (start < 0) break;
    const end = text.indexOf(LINK_END, start + 1);
    if (end < 0) break;
    out += text.slice(from, start) + map(text.slice(start + 1, end).trim());
    from = end + 1;
  }
  return out + text.slice(from);
}

/** Appends a 1x1 open-tracking image just before </body>. */
export function addOpenPixel(html: string, url: string): string {
  if (!isHttp(url)) throw new Error('openPixelUrl must be an http(s) URL');
  const img = `<img src="${escapeAttr(url)}" width="1" height="1" alt="" border="0" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0;" />`;
  const at = html.lastIndexOf('</body>');
  return at < 0 ? html + img : `${html.slice(0, at)}${img}\n${html.slice(at)}`;
}
