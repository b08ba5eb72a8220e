// The dashboard in a real browser (headless Chromium), on the Temporal dev server (visibility for
// running counts), real PostgreSQL and SMTP: sign-in with a read key (wrong keys refused), the
// funnel and hand-offs reflecting real journeys, a lead's page with its live "why", escaping of
// hostile profile data, sequences with running counts, template previews, and sessions that end
// on sign-out or when the key is revoked.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../../api/auth.ts';
import { ensureChromium, launchChromium } from '../support/browser.ts';
import { eventually, type Stack, startStack } from '../support/stack.ts';

let skipReason: string | undefined;
let stack: Stack;
let browser: Browser | undefined;
const ids: Record<string, string> = {};

const HOSTILE = '<img src=x onerror="document.title=1">';

beforeAll(async () => {
  skipReason = ensureChromium();
  stack = await startStack({ temporal: 'dev' });
  if (!skipReason) browser = await launchChromium();
  // Three journeys: one reading, one raising a hand (hand-off → mql), one with a hostile name.
  const ada = await stack.post('/v1/events', {
    email: 'ada@dash.test',
    type: 'content_download',
    profile: { firstName: 'Ada', lastName: 'Lovelace', company: 'Analytical Engines' },
    properties: { asset: 'ebook' },
  });
  const grace = await stack.post('/v1/events', {
    email: 'grace@dash.test',
    type: 'demo_request',
    profile: { firstName: 'Grace', lastName: 'Hopper', company: 'Compilers Inc', title: 'VP Engineering' },
  });
  const mallory = await stack.post('/v1/events', {
    email: 'mallory@dash.test',
    type: 'page_view',
    profile: { firstName: HOSTILE, company: HOSTILE },
  });
  ids.ada = ada.body.leadId;
  ids.grace = grace.body.leadId;
  ids.mallory = mallory.body.leadId;
  await stack.mail.waitFor((m) => m.to.includes('ada@dash.test'), { timeoutMs: 30_000 });
  await eventually(
    async () => (await stack.db.handoff.count({ where: { leadId: ids.grace } })) > 0,
    30_000,
    'the hand-off row',
  );
  await eventually(
    async () => (await stack.db.lead.findUnique({ where: { id: ids.grace } }))?.stage === 'mql',
    30_000,
    'grace at mql',
  );
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(page: Page, key: string) {
  await page.goto(`${stack.url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe('/dashboard/login');
  await page.fill('input[name=key]', key);
  await page.click('button[type=submit]');
}

describe('dashboard in a browser', () => {
  it('refuses unknown and write-only keys, then shows the funnel and recent hand-offs', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const page = await (browser as Browser).newPage();
    await signIn(page, 'lnk_not-a-key');
    expect(await page.textContent('#error')).toContain('unknown or revoked API key');
    const { key: writeOnly } = await createApiKey(stack.db, 'dash-write', ['write']);
    await signIn(page, writeOnly);
    expect(await page.textContent('#error')).toContain("lacks the 'read' scope");

    await signIn(page, stack.readKey);
    await page.waitForURL(`${stack.url}/dashboard`);
    const stageCount = async (stage: string) => Number(await page.textContent(`[data-stage=${stage}] .n`));
    const expected = await stack.db.lead.groupBy({ by: ['stage'], _count: { _all: true } });
    for (const row of expected) expect(await stageCount(row.stage)).toBe(row._count._all);
    expect(await stageCount('mql')).toBeGreaterThanOrEqual(1);
    expect(Number(await page.textContent('#mql30 .n'))).toBeGreaterThanOrEqual(1);
    expect(Number(await page.textContent('[data-status=pending] .n'))).toBeGreaterThanOrEqual(1);
    const recent = await page.textContent('#recent-handoffs');
    expect(recent).toContain('Grace Hopper');
    expect(recent).toMatch(/demo/i); // the "why MQL" travels with the hand-off
    await page.close();
  });

  it('lists leads by stage, opens a journey with its live explanation, and escapes hostile data', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const page = await (browser as Browser).newPage();
    await signIn(page, stack.readKey);
    await page.waitForURL(`${stack.url}/dashboard`);
    await page.click('[data-stage=mql]');
    const rows = await page.locator('#leads tbody tr').allTextContents();
    expect(rows.some((r) => r.includes('Grace Hopper'))).toBe(true);
    expect(rows.some((r) => r.includes('Ada'))).toBe(false);

    await page.click('text=Grace Hopper');
    expect(await page.textContent('#stage')).toBe('mql');
    expect(await page.textContent('#transitions')).toContain('lead → mql');
    expect((await page.locator('#explanation li').allTextContents()).join('\n')).toMatch(/demo/i);

    await page.goto(`${stack.url}/dashboard/leads/${ids.ada}`);
    await eventually(
      async () => {
        await page.reload();
        return (await page.textContent('#messages'))?.includes('welcome');
      },
      20_000,
      "ada's welcome email on her page",
    );

    await page.goto(`${stack.url}/dashboard/leads`);
    expect(await page.content()).toContain('&lt;img src=x');
    expect(await page.locator('#leads img').count()).toBe(0);
    expect(await page.title()).not.toBe('1');
    await page.close();
  });

  it('shows sequences with running counts from Temporal, and previews templates in a sandbox', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const page = await (browser as Browser).newPage();
    await signIn(page, stack.readKey);
    await page.waitForURL(`${stack.url}/dashboard`);
    await eventually(
      async () => {
        await page.goto(`${stack.url}/dashboard/sequences`);
        const running = await page.textContent('[data-sequence=lead-magnet] .running');
        return Number(running) >= 1;
      },
      20_000,
      'lead-magnet running count from visibility',
    );
    expect(await page.textContent('#sequences')).toContain('long-cycle-nurture');

    await page.goto(`${stack.url}/dashboard/templates?id=welcome`);
    expect((await page.textContent('#subject'))?.length).toBeGreaterThan(0);
    const frame = page.frameLocator('iframe');
    await expect
      .poll(async () => (await frame.locator('body').textContent())?.length ?? 0)
      .toBeGreaterThan(20);
    expect(await page.getAttribute('iframe', 'sandbox')).toBe('');
    await page.close();
  });

  it('lists the webhook delivery log, filtered by status, receiver errors escaped', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    await stack.db.webhookDelivery.createMany({
      data: [
        {
          event: 'lead.handoff',
          eventKey: `dash-ok-${Math.random()}`,
          url: 'https://crm.test/hook',
          status: 'delivered',
          attempts: 1,
          lastStatusCode: 200,
        },
        {
          event: 'lead.stage_changed',
          eventKey: `dash-bad-${Math.random()}`,
          url: 'https://crm.test/hook',
          status: 'failed',
          attempts: 7,
          lastStatusCode: 410,
          lastError: '<b>gone</b>',
        },
      ],
    });
    const page = await (browser as Browser).newPage();
    await signIn(page, stack.readKey);
    await page.waitForURL(`${stack.url}/dashboard`);
    await page.click('text=Webhooks');
    expect(await page.locator('#deliveries tbody tr').count()).toBeGreaterThanOrEqual(2);
    await page.goto(`${stack.url}/dashboard/webhooks?status=failed`);
    const rows = await page.locator('#deliveries tbody tr').allTextContents();
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.every((r) => r.includes('failed'))).toBe(true);
    expect(rows.join('\n')).toContain('HTTP 410 <b>gone</b>'); // shown as text...
    expect(await page.locator('#deliveries b').count()).toBe(0); // ...not as markup
    await page.close();
  });

  it('ends the session on sign-out, on a forged cookie, and when the key is revoked', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const context = await (browser as Browser).newContext();
    const page = await context.newPage();
    const { id, key } = await createApiKey(stack.db, 'dash-revoke', ['read']);
    await signIn(page, key);
    await page.waitForURL(`${stack.url}/dashboard`);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: 'lne_dashboard',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/dashboard',
    });
    expect(cookie?.value).not.toContain(key);

    await page.click('text=Sign out');
    await page.waitForURL(`${stack.url}/dashboard/login`);
    await page.goto(`${stack.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');

    // A forged cookie (valid shape, wrong signature) is no session.
    const forged = `${(cookie?.value ?? '').split('.')[0]}.AAAA`;
    await context.addCookies([{ ...(cookie as NonNullable<typeof cookie>), value: forged }]);
    await page.goto(`${stack.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');

    await signIn(page, key);
    await page.waitForURL(`${stack.url}/dashboard`);
    await revokeApiKey(stack.db, id);
    await page.goto(`${stack.url}/dashboard/leads`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await context.close();
  });

  it('sends a strict Content-Security-Policy and no HTML to the signed-out', async () => {
    const res = await fetch(`${stack.url}/dashboard/login`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const leads = await fetch(`${stack.url}/dashboard/leads/${ids.grace}`, { redirect: 'manual' });
    expect(leads.status).toBe(303);
    expect(leads.headers.get('location')).toBe('/dashboard/login');
    expect(await leads.text()).not.toContain('Grace');
  });
});
