// The unsubscribe confirmation page in a real browser (headless Chromium via playwright-core): open
// the link from a captured email, press the button, see the confirmation, and find the suppression
// row. Needs /usr/bin/chromium: installed here with apt-get when running as root, else skipped.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureChromium, launchChromium } from '../support/browser.ts';
import { eventually, type Stack, startStack } from '../support/stack.ts';

let skipReason: string | undefined;
let stack: Stack;
let browser: Browser | undefined;

beforeAll(async () => {
  skipReason = ensureChromium();
  stack = await startStack();
  if (!skipReason) browser = await launchChromium();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('unsubscribe page in a browser', () => {
  it('opens the link from the email, confirms with the button, and the address is suppressed', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const email = 'browser@unsub.test';
    const { leadId } = (
      await stack.post('/v1/events', { email, type: 'content_download', profile: { firstName: 'Bea' } })
    ).body;
    const mail = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
    // The footer link a reader clicks (the same one List-Unsubscribe carries).
    const link = /href="([^"]*\/u\/[^"]+)"/.exec(mail.html ?? '')?.[1] as string;
    expect(link).toBeTruthy();

    const page = await (browser as Browser).newPage();
    try {
      const response = await page.goto(link);
      expect(response?.status()).toBe(200);
      expect(await page.textContent('h1')).toBe('Unsubscribe');
      expect(await page.textContent('#message')).toBe('Do you want to stop receiving these emails?');
      // Looking at the page changes nothing.
      expect(await stack.db.suppression.findUnique({ where: { email } })).toBeNull();

      await Promise.all([page.waitForURL(link, { waitUntil: 'load' }), page.click('#confirm')]);
      await page.waitForSelector('text=You will not receive further emails from us.');
      expect(await page.textContent('h1')).toBe('Unsubscribed');
    } finally {
      await page.close();
    }
    expect(await stack.db.suppression.findUnique({ where: { email } })).toMatchObject({
      reason: 'unsubscribed',
    });
    await eventually(
      () =>
        stack.db.engagementEvent.findFirst({
          where: { leadId, type: 'unsubscribe', deliveredAt: { not: null } },
        }),
      10_000,
      'unsubscribe event',
    );
  });
});
