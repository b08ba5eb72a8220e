// Minimal HTML pages for people clicking links in email (no framework: three static pages).
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `body` and `extraHtml` are trusted markup from this codebase; `title` and `message` are escaped. */
export function page(title: string, message: string, extraHtml = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2937}button{font-size:1rem;padding:.6rem 1.2rem;border-radius:.4rem;border:0;background:#2563eb;color:#fff;cursor:pointer}</style>
</head><body><h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(message)}</p>${extraHtml}</body></html>`;
}
