// Tracking links through the real API, workflow and database: forged, tampered, expired and
// wrong-kind tokens are refused and touch nothing; machine opens are recorded unscored; human opens
// and clicks move engagement; a click redirects to the original URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedbackToken, TrackingToken } from '../../activities/links.ts';
import { signToken } from '../../security/tokens.ts';
import { leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { eventually, LINK_SECRET, type Stack, startStack } from '../support/stack.ts';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const GMAIL_PROXY =
  'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';

let stack: Stack;
let leadId: string;
let messageId: string;
let pixelUrl: string;
let clickUrl: string;
let unsubscribeUrl: string;
const email = 'reader@track.test';

const handle = () => stack.env.client.workflow.getHandle(leadWorkflowId(leadId));
const stateOf = () => handle().query(stateQuery);
const historyLength = async () => (await handle().fetchHistory()).events?.length ?? 0;
const payloadOf = <T>(token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).p as T;
const tokenOf = (url: string) => url.split('/').pop() as string;
const get = (url: string, userAgent = CHROME) =>
  fetch(url, { headers: { 'user-agent': userAgent }, redirect: 'manual' });

beforeAll(async () => {
  stack = await startStack();
  const res = await stack.post('/v1/events', {
    email,
    type: 'content_download',
    profile: { firstName: 'Rhea', company: 'Readers Ltd', title: 'Head of Ops', companySize: 120 },
  });
  leadId = res.body.leadId;
  const mail = await stack.mail.waitFor((m) => m.to.includes(email), { timeoutMs: 30_000 });
  const html = mail.html ?? '';
  pixelUrl = /src="([^"]*\/t\/o\/[^"]+)"/.exec(html)?.[1] as string;
  clickUrl = /href="([^"]*\/t\/c\/[^"]+)"/.exec(html)?.[1] as string;
  unsubscribeUrl = /<([^>]*\/u\/[^>]+)>/.exec(mail.headers['list-unsubscribe'] ?? '')?.[1] as string;
  expect(pixelUrl && clickUrl && unsubscribeUrl).toBeTruthy();
  // Settled: the welcome is sent and the workflow waits for engagement (nothing else moves it).
  await eventually(
    async () => (await stateOf()).sequence?.step === 'first-engagement',
    30_000,
    'first-engagement wait',
  );
  messageId = (await stack.db.message.findFirstOrThrow({ where: { leadId } })).id;
});
afterAll(async () => {
  await stack?.stop();
});

describe('refused tokens touch nothing', () => {
  it('forged, tampered, expired and wrong-kind tokens on /t/o, /t/c, /u and /v1/feedback', async () => {
    const now = Date.now();
    const later = now + 86_400_000;
    const open: TrackingToken = { k: 'open', l: leadId, m: messageId };
    const click: TrackingToken = { k: 'click', l: leadId, m: messageId, u: 'https://evil.test/phish' };
    const unsub: TrackingToken = { k: 'unsub', l: leadId, m: messageId };
    const feedback: FeedbackToken = { k: 'feedback', h: `${leadId}-1`, l: leadId, f: 'accept' };
    const forged = (p: object) => signToken(p, 'not-the-real-secret-0123456789', { expiresAt: later });
    const expired = (p: object) => signToken(p, LINK_SECRET, { expiresAt: now - 1_000 });
    /** A genuine token with its payload changed and the original signature kept. */
    const tampered = (real: string, change: (p: Record<string, unknown>) => void) => {
      const [body, sig] = real.split('.') as [string, string];
      const decoded = JSON.parse(Buffer.from(body, 'base64url').toString());
      change(decoded.p);
      return `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${sig}`;
    };
    const realUnsub = tokenOf(unsubscribeUrl);
    const base = stack.url;

    const eventsBefore = await stack.db.engagementEvent.count();
    const historyBefore = await historyLength();
    const stateBefore = await stateOf();

    const pixels = [
      forged(open),
      expired(open),
      tampered(tokenOf(pixelUrl), (p) => (p.l = '00000000-0000-4000-8000-000000000000')),
      signToken(unsub, LINK_SECRET, { expiresAt: later }), // an unsubscribe token is not an open token
      'not-a-token-at-all',
    ];
    const pixelBodies: Buffer[] = [];
    for (const t of pixels) {
      const res = await get(`${base}/t/o/${t}`);
      expect(res.status, t).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
      pixelBodies.push(Buffer.from(await res.arrayBuffer()));
    }
    const clicks = [
      forged(click),
      expired(click),
      tampered(tokenOf(clickUrl), (p) => (p.u = 'https://evil.test/phish')),
      signToken(open, LINK_SECRET, { expiresAt: later }),
    ];
    for (const t of clicks) {
      const res = await get(`${base}/t/c/${t}`);
      expect(res.status, t).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
    const unsubs = [
      forged(unsub),
      expired(unsub),
      tampered(realUnsub, (p) => (p.l = 'someone-else')),
      signToken(open, LINK_SECRET, { expiresAt: later }),
    ];
    for (const t of unsubs) {
      expect((await get(`${base}/u/${t}`)).status, t).toBe(400);
      const post = await fetch(`${base}/u/${t}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(post.status, t).toBe(400);
    }
    const feedbacks = [
      forged(feedback),
      expired(feedback),
      tampered(signToken(feedback, LINK_SECRET, { expiresAt: later }), (p) => (p.f = 'won')),
      signToken(unsub, LINK_SECRET, { expiresAt: later }),
    ];
    for (const t of feedbacks) expect((await get(`${base}/v1/feedback/${t}`)).status, t).toBe(400);

    // Nothing recorded, nothing suppressed, and the workflow was not touched: not one history event.
    expect(await stack.db.engagementEvent.count()).toBe(eventsBefore);
    expect(await stack.db.suppression.count()).toBe(0);
    expect(await historyLength()).toBe(historyBefore);
    expect(await stateOf()).toEqual(stateBefore);

    // The pixel answers a genuine token exactly as it answered the bad ones: probing it reveals nothing.
    const genuine = Buffer.from(await (await get(pixelUrl, 'curl/8.5.0')).arrayBuffer());
    for (const body of pixelBodies) expect(body.equals(genuine)).toBe(true);
  });
});

describe('opens and clicks', () => {
  it('a machine open (image proxy, or a fetch seconds after delivery) is recorded unscored and moves no score', async () => {
    const before = await stateOf();
    const proxy = await get(pixelUrl, GMAIL_PROXY);
    expect(proxy.status).toBe(200);
    // A browser agent, but seconds after delivery: a scanner, not a person. Keep the message fresh.
    await stack.db.message.update({ where: { id: messageId }, data: { sentAt: new Date() } });
    await get(pixelUrl, CHROME);

    const rows = await eventually(async () => {
      const r = await stack.db.engagementEvent.findMany({
        where: { leadId, type: 'email_open', scored: false },
        orderBy: { receivedAt: 'asc' },
      });
      return r.length >= 3 && r;
    });
    expect(rows.map((r) => (r.properties as { machine?: string }).machine)).toEqual([
      'automated_agent',
      'gmail_image_proxy',
      'too_soon_after_delivery',
    ]);
    await eventually(
      async () =>
        (await stateOf()).timeline.filter((t) => t.detail === 'email_open (not scored)').length >= 3,
      10_000,
      'opens noted',
    );
    const after = await stateOf();
    expect(after.scores).toEqual(before.scores);
  });

  it('a human open (a person, a minute after delivery) raises engagement', async () => {
    // The person reads it a minute after it arrived.
    await stack.db.message.update({
      where: { id: messageId },
      data: { sentAt: new Date(Date.now() - 60_000) },
    });
    const before = await stateOf();
    const res = await get(pixelUrl, CHROME);
    expect(res.status).toBe(200);
    const row = await eventually(
      () => stack.db.engagementEvent.findFirst({ where: { leadId, type: 'email_open', scored: true } }),
      10_000,
      'scored open',
    );
    expect(row.deliveredAt).not.toBeNull();
    const after = await eventually(async () => {
      const s = await stateOf();
      return s.timeline.some((t) => t.kind === 'event' && t.detail === 'email_open') && s;
    });
    expect(after.scores.engagement).toBeGreaterThan(before.scores.engagement);
    expect(after.explanation.join('\n')).toMatch(/Email opened/);
  });

  it('a click redirects (302) to the original URL, is recorded and raises engagement', async () => {
    const before = await stateOf();
    const target = payloadOf<TrackingToken>(tokenOf(clickUrl)).u as string;
    expect(target).toMatch(/^https?:\/\//);
    expect(target).not.toContain('/t/c/');
    const res = await get(clickUrl, CHROME);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(target);
    const row = await eventually(
      () => stack.db.engagementEvent.findFirst({ where: { leadId, type: 'email_click' } }),
      10_000,
      'click row',
    );
    expect(row.scored).toBe(true);
    expect((row.properties as { url?: string }).url).toBe(target);
    const after = await eventually(async () => {
      const s = await stateOf();
      return s.timeline.some((t) => t.kind === 'event' && t.detail === 'email_click') && s;
    });
    expect(after.scores.engagement).toBeGreaterThan(before.scores.engagement);
    // The click is engagement for the lead-magnet too: it moved past its first wait.
    expect(after.tags).toContain('engaged');
  });

  it('a genuine token whose message belongs to another lead records nothing', async () => {
    const other = await stack.db.lead.create({ data: { email: 'other@track.test' } });
    const count = await stack.db.engagementEvent.count();
    const t = signToken({ k: 'open', l: other.id, m: messageId } satisfies TrackingToken, LINK_SECRET, {
      expiresAt: Date.now() + 60_000,
    });
    expect((await get(`${stack.url}/t/o/${t}`)).status).toBe(200);
    expect(await stack.db.engagementEvent.count()).toBe(count);
  });
});
