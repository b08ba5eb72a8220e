import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileStats,
  loadTemplates,
  type RenderVarsInput,
  renderWithMjmlEachTime,
  SAMPLE_VARS,
  TemplateError,
  type TemplateRegistry,
} from '../../email/render.ts';

const EXPECTED_IDS = [
  'ebook-followup-1',
  'ebook-followup-2',
  'ebook-followup-3',
  'monthly-content',
  'pricing-followup',
  'recycle-checkin',
  'sales-handoff',
  'webinar-invite',
  'welcome',
];

/** Subjects with SAMPLE_VARS and lead.firstName = 'Zoë' (every one is personalised). */
const EXPECTED_SUBJECTS: Record<string, string> = {
  welcome: 'Your copy of The Operations Analytics Playbook',
  'ebook-followup-1': 'The short version of The Operations Analytics Playbook',
  'ebook-followup-2': 'From reading to results: how teams like Northwind Logistics put it into practice',
  'ebook-followup-3': 'Worth a 20-minute conversation, Zoë?',
  'webinar-invite': 'Live session: The Operations Analytics Playbook',
  'pricing-followup': 'Zoë, questions about our plans?',
  'monthly-content': 'The Operations Analytics Playbook',
  'recycle-checkin': 'Zoë, still on your radar?',
  'sales-handoff': 'Sales-ready lead: Zoë Doe (Northwind Logistics)',
};

let registry: TemplateRegistry;
const tmpDirs: string[] = [];

beforeAll(async () => {
  registry = await loadTemplates();
});

afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

const MIN_LAYOUT = `---
variables: links.unsubscribe, lead.firstName?
---
<mjml>
  <mj-body>
    <!-- @content -->
    <mj-section><mj-column><mj-text><a href="{{links.unsubscribe}}">Unsubscribe</a></mj-text></mj-column></mj-section>
  </mj-body>
</mjml>
`;

/** A templates directory in /tmp with the given files (plus a minimal base layout unless overridden). */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'templates-'));
  tmpDirs.push(dir);
  for (const [path, content] of Object.entries({ 'layouts/base.mjml': MIN_LAYOUT, ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const email = (body: string, frontMatter = 'subject: Hello\nvariables: links.download') =>
  `---\n${frontMatter}\n---\n${body}`;

async function loadError(dir: string): Promise<TemplateError> {
  const err = await loadTemplates(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TemplateError);
  return err as TemplateError;
}

/** Control characters other than \n (text parts must not carry any). */
const controlChars = (s: string) =>
  [...s].filter((c) => c !== '\n' && (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f));

const vars = (over: Partial<RenderVarsInput> = {}): RenderVarsInput => ({ ...SAMPLE_VARS, ...over });

describe('built-in templates', () => {
  it('has every email the sequences need', () => {
    expect(registry.ids()).toEqual(EXPECTED_IDS);
    for (const id of EXPECTED_IDS) expect(registry.has(id)).toBe(true);
    expect(registry.has('nope')).toBe(false);
  });

  it.each(EXPECTED_IDS)('%s renders with sample data: personalised HTML, subject and text', (id) => {
    const out = registry.render(id, vars({ lead: { ...SAMPLE_VARS.lead, firstName: 'Zoë' } }));
    expect(out.subject).toBe(EXPECTED_SUBJECTS[id]);
    expect(out.preheader.length).toBeGreaterThan(10);
    expect(out.html).toMatch(/^<!doctype html>/);
    expect(out.html).toContain('Zoë');
    expect(out.html).toContain(`<title>${out.subject.replace(/'/g, '&#x27;')}</title>`);
    expect(out.html).toContain(out.preheader.replace(/&/g, '&amp;').replace(/'/g, '&#x27;'));
    expect(out.html).not.toMatch(/\{\{|\}\}/);
    // text part: present, personalised, no markup or leftovers
    expect(out.text).toContain('Zoë');
    expect(out.text.length).toBeGreaterThan(200);
    expect(out.text).not.toMatch(/<\/?(p|div|table|td|a)\b|\{\{|\}\}|&amp;|&nbsp;/);
    expect(controlChars(out.text)).toEqual([]);
  });

  it.each(EXPECTED_IDS.filter((id) => id !== 'sales-handoff'))(
    '%s has the unsubscribe link and postal address',
    (id) => {
      const out = registry.preview(id);
      expect(out.html).toContain(`href="${SAMPLE_VARS.links.unsubscribe}"`);
      expect(out.html).toContain(SAMPLE_VARS.sender.address);
      expect(out.text).toContain(`Unsubscribe (${SAMPLE_VARS.links.unsubscribe})`);
      expect(out.text).toContain(SAMPLE_VARS.sender.address);
    },
  );

  it('sales-handoff has the summary, a score per dimension, the reasons and four feedback links', () => {
    const h = SAMPLE_VARS.handoff;
    if (!h) throw new Error('sample has a handoff');
    const out = registry.preview('sales-handoff');
    for (const reason of h.reasons) expect(out.text).toContain(`- ${reason}`);
    expect(out.text).toMatch(/Fit: 82\nEngagement: 64\nIntent: 91/);
    for (const url of Object.values(h.feedback)) expect(out.html).toContain(`href="${url}"`);
    expect(out.html).toContain(`href="mailto:${SAMPLE_VARS.lead?.email}"`);
    expect(out.html).not.toContain('Unsubscribe');
    expect(registry.preview('sales-handoff', { handoff: { kind: 'escalation' } }).subject).toMatch(
      /^\[Escalation\] /,
    );
    expect(registry.preview('sales-handoff', { handoff: { kind: 'reminder' } }).html).toContain(
      'Reminder: this lead',
    );
  });

  it('renders gracefully without optional personalisation', () => {
    const out = registry.render('welcome', {
      sender: SAMPLE_VARS.sender,
      links: { unsubscribe: 'https://x.example/u', download: 'https://x.example/d.pdf' },
    });
    expect(out.subject).toBe('Your download is ready');
    expect(out.html).toContain('Hi there,');
    expect(out.text).toContain('Hi there,');
    expect(out.text).toContain('Thanks for requesting our guide.');
    expect(out.html).not.toContain('Email preferences');
    // no booking link configured: the call-to-action falls back to replying / the library
    const noDemo = registry.preview('ebook-followup-3', { links: { demo: undefined } });
    expect(noDemo.text).toContain('Reply to this email with two or three times that suit you.');
    expect(noDemo.text).toContain(`Explore the resource library: ${SAMPLE_VARS.links.content}`);
    expect(registry.preview('ebook-followup-3').text).toContain(
      `Book a 20-minute call: ${SAMPLE_VARS.links.demo}`,
    );
    const handoff = registry.preview('sales-handoff', {
      lead: { firstName: undefined, lastName: undefined, company: undefined },
    });
    expect(handoff.subject).toBe(`Sales-ready lead: ${SAMPLE_VARS.lead?.email}`);
  });

  it('escapes HTML in values: a <script> first name arrives escaped in the HTML, as typed in the text', () => {
    const name = '<script>alert("x")</script>';
    for (const id of EXPECTED_IDS) {
      const out = registry.preview(id, {
        lead: { firstName: name, company: '"><img src=x onerror=alert(1)>' },
      });
      expect(out.html).not.toContain('<script');
      expect(out.html).not.toContain('<img src=x');
      expect(out.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(out.text).toContain(name); // text/plain is never interpreted as HTML
    }
    expect(registry.preview('pricing-followup', { lead: { firstName: name } }).subject).toBe(
      `${name}, questions about our plans?`,
    );
  });

  it('strips control characters so values cannot break lines, headers or link markers', () => {
    const out = registry.preview('pricing-followup', { lead: { firstName: 'Ja\r\nBcc: x@y.z\u0001\u202e' } });
    expect(out.subject).toBe('Ja Bcc: x@y.z, questions about our plans?');
    expect(out.text).toContain('Hi Ja Bcc: x@y.z,');
    expect(controlChars(out.text)).toEqual([]);
    expect(out.text).not.toContain('\u202e');
  });

  it('validates variables: required links, http(s)-only URLs, strict shapes', () => {
    const noDownload = { ...SAMPLE_VARS, links: { unsubscribe: 'https://x.example/u' } };
    expect(() => registry.render('welcome', noDownload)).toThrow(/missing required variable links\.download/);
    const js = { ...SAMPLE_VARS, links: { ...SAMPLE_VARS.links, download: 'javascript:alert(1)' } };
    expect(() => registry.render('welcome', js)).toThrow(TemplateError);
    const extra = { ...SAMPLE_VARS, handoff: { ...SAMPLE_VARS.handoff, colour: 'red' } } as RenderVarsInput;
    expect(() => registry.render('sales-handoff', extra)).toThrow(/colour/);
    try {
      registry.render('nope', SAMPLE_VARS);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'not_found', templateId: 'nope' });
    }
  });

  it('declares each template contract', () => {
    expect(registry.variables('welcome')).toEqual(
      expect.arrayContaining(['links.download', 'links.unsubscribe', 'lead.firstName', 'sender.address']),
    );
    const { required, optional } = registry.contract('welcome');
    expect(required).toContain('links.download');
    expect(required).toContain('links.unsubscribe');
    expect(optional).toContain('lead.firstName');
    expect(registry.contract('sales-handoff').required).not.toContain('links.unsubscribe');
  });
});

describe('link tracking', () => {
  const rewrite = (href: string, i: number) => `https://t.example/c/${i}?u=${encodeURIComponent(href)}`;

  it('rewrites http(s) links, not mailto: and not the unsubscribe / preferences links', () => {
    const out = registry.preview('sales-handoff', {}, { rewriteLink: rewrite });
    const hrefs = [...out.html.matchAll(/<a\b[^>]*?\shref="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toContain(`mailto:${SAMPLE_VARS.lead?.email}`);
    const tracked = hrefs.filter((h) => h?.startsWith('https://t.example/'));
    expect(tracked).toHaveLength(5); // accept, reject, won, lost, open the lead
    expect(tracked.map((h) => /\/c\/(\d+)\?/.exec(h ?? '')?.[1])).toEqual(['0', '1', '2', '3', '4']);
    expect(hrefs.filter((h) => h?.startsWith('https://app.'))).toEqual([]);

    const welcome = registry.preview('welcome', {}, { rewriteLink: rewrite });
    expect(welcome.html).toContain(`href="${SAMPLE_VARS.links.unsubscribe}"`);
    expect(welcome.html).toContain(`href="${SAMPLE_VARS.links.preferences}"`);
    expect(welcome.html).not.toContain(`href="${SAMPLE_VARS.links.download}"`);
    expect(welcome.html).toContain(
      `href="${rewrite(SAMPLE_VARS.links.download as string, 0).replace(/&/g, '&amp;')}"`,
    );
    // the text part gets the same tracked URL, and keeps the unsubscribe link
    expect(welcome.text).toContain(`Download now: ${rewrite(SAMPLE_VARS.links.download as string, 0)}`);
    expect(welcome.text).toContain(`Unsubscribe (${SAMPLE_VARS.links.unsubscribe})`);
  });

  it('passes the decoded URL to rewriteLink and escapes what it returns', () => {
    const seen: string[] = [];
    const out = registry.preview(
      'ebook-followup-3',
      {},
      {
        rewriteLink: (h) => {
          seen.push(h);
          return `https://t.example/c?a=1&b="2"`;
        },
      },
    );
    expect(seen).toContain(SAMPLE_VARS.links.demo); // contains a raw '&'
    expect(out.html).toContain('href="https://t.example/c?a=1&amp;b=&quot;2&quot;"');
  });

  it('appends the open pixel before </body>', () => {
    const out = registry.preview('welcome', {}, { openPixelUrl: 'https://t.example/o/abc?x=1&y=2' });
    expect(out.html).toMatch(
      /<img src="https:\/\/t\.example\/o\/abc\?x=1&amp;y=2" width="1" height="1" alt=""[^>]*>\n<\/body>/,
    );
    expect(registry.preview('welcome').html).not.toContain('t.example');
  });
});

describe('compile once', () => {
  it('renders without calling mjml again, and reloading unchanged templates reuses the compiled form', async () => {
    const before = compileStats().mjmlCompiles;
    registry.preview('welcome');
    registry.preview('welcome', { lead: { firstName: 'Other' } });
    for (const id of registry.ids()) registry.preview(id);
    expect(compileStats().mjmlCompiles).toBe(before);
    await loadTemplates();
    expect(compileStats().mjmlCompiles).toBe(before);
  });

  it('recompiles a template whose content changed (cache key = id + content hash)', async () => {
    const dir = fixture({
      'emails/a.mjml': email(
        '<mj-section><mj-column><mj-button href="{{links.download}}">Get it</mj-button></mj-column></mj-section>',
      ),
    });
    const v = {
      sender: SAMPLE_VARS.sender,
      links: { unsubscribe: 'https://x.example/u', download: 'https://x.example/d' },
    };
    const start = compileStats().mjmlCompiles;
    const first = await loadTemplates(dir);
    expect(compileStats().mjmlCompiles).toBe(start + 1);
    await loadTemplates(dir);
    expect(compileStats().mjmlCompiles).toBe(start + 1);
    writeFileSync(
      join(dir, 'emails/a.mjml'),
      email(
        '<mj-section><mj-column><mj-button href="{{links.download}}">Download</mj-button></mj-column></mj-section>',
      ),
    );
    const second = await loadTemplates(dir);
    expect(compileStats().mjmlCompiles).toBe(start + 2);
    expect(first.render('a', v).text).toContain('Get it: https://x.example/d');
    expect(second.render('a', v).text).toContain('Download: https://x.example/d');
  });

  it('the per-send mjml() baseline produces the same email', async () => {
    const calls = compileStats().baselineMjmlCalls;
    for (const id of registry.ids()) {
      const opts = {
        rewriteLink: (h: string, i: number) => `https://t.example/${i}?u=${encodeURIComponent(h)}`,
      };
      const a = registry.render(id, SAMPLE_VARS, opts);
      const b = await renderWithMjmlEachTime(registry, id, SAMPLE_VARS, opts);
      expect(b).toEqual(a);
    }
    expect(compileStats().baselineMjmlCalls).toBe(calls + registry.ids().length);
  });
});

describe('validation at load', () => {
  it('rejects a variable outside the schema, naming the template and the line', async () => {
    const body = [
      '<mj-section>',
      '  <mj-column>',
      '    <mj-text>',
      '      Hi {{lead.nickname}}',
      '    </mj-text>',
      '  </mj-column>',
      '</mj-section>',
    ];
    const err = await loadError(fixture({ 'emails/bad.mjml': email(body.join('\n')) }));
    expect(err.code).toBe('unknown_variable');
    expect(err.templateId).toBe('bad');
    expect(err.location).toEqual({ file: 'emails/bad.mjml', line: 8 });
    expect(err.message).toMatch(/template 'bad' \(emails\/bad\.mjml, line 8\).*lead\.nickname/);
  });

  it('rejects a schema variable the template did not declare', async () => {
    const err = await loadError(
      fixture({
        'emails/undeclared.mjml': email(
          '<mj-section><mj-column><mj-text>{{lead.company}}</mj-text></mj-column></mj-section>',
        ),
      }),
    );
    expect(err).toMatchObject({
      code: 'unknown_variable',
      templateId: 'undeclared',
      location: { file: 'emails/undeclared.mjml', line: 5 },
    });
    expect(err.message).toMatch(/lead\.company.*not in its declared variables/);
  });

  it('points at the partial (file and line) when the unknown variable is in an include', async () => {
    const err = await loadError(
      fixture({
        'partials/p.mjml': '<mj-text>\n  {{sender.fax}}\n</mj-text>\n',
        'emails/inc.mjml': email(
          '<mj-section>\n<mj-column>\n<mj-include path="../partials/p.mjml" />\n</mj-column>\n</mj-section>',
        ),
      }),
    );
    expect(err).toMatchObject({ templateId: 'inc', location: { file: 'partials/p.mjml', line: 2 } });
  });

  it('rejects unknown variables in the subject (front matter line)', async () => {
    const err = await loadError(
      fixture({ 'emails/subj.mjml': email('<mj-section></mj-section>', 'subject: Hi {{lead.shoeSize}}') }),
    );
    expect(err).toMatchObject({ code: 'unknown_variable', location: { file: 'emails/subj.mjml', line: 2 } });
  });

  it('rejects a declaration that is not a render variable', async () => {
    const err = await loadError(
      fixture({ 'emails/decl.mjml': email('<mj-section></mj-section>', 'subject: Hi\nvariables: lead.age') }),
    );
    expect(err).toMatchObject({ code: 'unknown_variable', location: { file: 'emails/decl.mjml', line: 3 } });
  });

  it('rejects MJML errors with their line (strict validation)', async () => {
    const illegal = await loadError(
      fixture({
        'emails/m1.mjml': email(
          '<mj-section>\n  <mj-column>\n    <mj-text colour="red">x</mj-text>\n  </mj-column>\n</mj-section>',
        ),
      }),
    );
    expect(illegal).toMatchObject({
      code: 'mjml',
      templateId: 'm1',
      location: { file: 'emails/m1.mjml', line: 7 },
    });
    expect(illegal.message).toMatch(/colour/);

    const unknown = await loadError(
      fixture({
        'emails/m2.mjml': email(
          '<mj-section>\n  <mj-colunm>\n    <mj-text>x</mj-text>\n  </mj-colunm>\n</mj-section>',
        ),
      }),
    );
    expect(unknown).toMatchObject({
      code: 'mjml',
      templateId: 'm2',
      location: { file: 'emails/m2.mjml', line: 6 },
    });

    const unclosed = await loadError(
      fixture({
        'emails/m3.mjml': email('<mj-section>\n  <mj-column>\n    <mj-text>x\n  </mj-column>\n</mj-section>'),
      }),
    );
    expect(unclosed).toMatchObject({
      code: 'mjml',
      templateId: 'm3',
      location: { file: 'emails/m3.mjml', line: 7 },
    });
    expect(unclosed.message).toMatch(
      /<mj-text> is not closed: found <\/mj-column> \(emails\/m3\.mjml, line 8\)/,
    );
  });

  it('rejects Handlebars that MJML would drop (text between components)', async () => {
    const body =
      '<mj-section>\n<mj-column>\n{{#if links.download}}\n<mj-button href="{{links.download}}">Go</mj-button>\n{{/if}}\n</mj-column>\n</mj-section>';
    const err = await loadError(fixture({ 'emails/dropped.mjml': email(body) }));
    expect(err).toMatchObject({ code: 'mjml', location: { file: 'emails/dropped.mjml', line: 7 } });
    expect(err.message).toMatch(/disappeared/);
  });

  it('rejects helpers, partials, unescaped output and broken syntax', async () => {
    const cases: [string, RegExp][] = [
      ['{{{links.download}}}', /unescaped/],
      ['{{lookup links "download"}}', /helpers are not allowed/],
      ['{{> footer}}', /partials/],
      ['{{#each links.download}}x{{/each}}', /use|is a value/],
      ['{{#if links.download}}x', /syntax/i],
    ];
    for (const [expr, pattern] of cases) {
      const err = await loadError(
        fixture({
          'emails/h.mjml': email(
            `<mj-section><mj-column><mj-text>${expr}</mj-text></mj-column></mj-section>`,
          ),
        }),
      );
      expect(err.message).toMatch(pattern);
      expect(err.templateId).toBe('h');
    }
  });

  it('rejects bad front matter and includes outside the templates directory', async () => {
    const noSubject = await loadError(
      fixture({ 'emails/ns.mjml': '---\nvariables: links.download\n---\n<mj-section></mj-section>' }),
    );
    expect(noSubject).toMatchObject({ code: 'format', templateId: 'ns' });
    const badKey = await loadError(
      fixture({ 'emails/bk.mjml': email('<mj-section></mj-section>', 'subject: x\nsubjet: y') }),
    );
    expect(badKey).toMatchObject({ code: 'format', location: { file: 'emails/bk.mjml', line: 3 } });
    const outside = await loadError(
      fixture({
        'emails/esc.mjml': email('<mj-section>\n<mj-include path="../../../etc/passwd" />\n</mj-section>'),
      }),
    );
    expect(outside).toMatchObject({ code: 'format', location: { file: 'emails/esc.mjml', line: 6 } });
  });
});
