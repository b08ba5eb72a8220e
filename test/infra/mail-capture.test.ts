import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MailCapture, startMailCapture } from '../../mail/capture.ts';

describe('mail capture over real SMTP', () => {
  let capture: MailCapture;
  let dir: string;
  let transport: Transporter;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lne-mail-'));
    capture = await startMailCapture({
      httpPort: 0,
      dir,
      rejectRecipient: (address) => {
        if (address.startsWith('bounce@')) return { code: 550, message: '5.1.1 No such user' };
        if (address.startsWith('later@')) return { code: 451, message: '4.3.0 Try again later' };
        return null;
      },
    });
    transport = nodemailer.createTransport({ host: '127.0.0.1', port: capture.smtpPort, secure: false });
  });

  afterAll(async () => {
    transport?.close();
    await capture?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => capture.clear());

  it('parses html, text, custom headers and the envelope', async () => {
    const info = await transport.sendMail({
      from: '"Acme Marketing" <news@acme.test>',
      to: 'ada@example.com',
      bcc: 'audit@acme.test',
      subject: 'Welcome, Ada — ünïcode',
      text: 'Hello Ada (text)',
      html: '<p>Hello <b>Ada</b></p>',
      messageId: '<welcome.lead-1@acme.test>',
      headers: {
        'X-Lead-Id': 'lead-1',
        'List-Unsubscribe': '<https://acme.test/u/abc>, <mailto:unsub@acme.test>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
    expect(info.accepted).toEqual(['ada@example.com', 'audit@acme.test']);

    const mail = await capture.waitFor((m) => m.to.includes('ada@example.com'), { timeoutMs: 5000 });
    expect(mail.from).toBe('news@acme.test');
    expect(mail.to).toEqual(['ada@example.com', 'audit@acme.test']);
    expect(mail.envelope).toEqual({ from: 'news@acme.test', to: ['ada@example.com', 'audit@acme.test'] });
    expect(mail.subject).toBe('Welcome, Ada — ünïcode');
    expect(mail.html).toBe('<p>Hello <b>Ada</b></p>');
    expect(mail.text?.trim()).toBe('Hello Ada (text)');
    expect(mail.messageId).toBe('<welcome.lead-1@acme.test>');
    expect(mail.headers['x-lead-id']).toBe('lead-1');
    expect(mail.headers['list-unsubscribe']).toBe('<https://acme.test/u/abc>, <mailto:unsub@acme.test>');
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(mail.headers['message-id']).toBe('<welcome.lead-1@acme.test>');
    expect(mail.headers.subject).toBe('Welcome, Ada — ünïcode');
    expect(mail.headers.bcc).toBeUndefined();
    expect(mail.receivedAt).toBeInstanceOf(Date);
    expect(mail.raw).toMatch(/^X-Lead-Id: lead-1\r$/im);

    const eml = join(dir, `${mail.id}.eml`);
    expect(existsSync(eml)).toBe(true);
    expect(await readFile(eml, 'utf8')).toBe(mail.raw);
  });

  it('waitFor resolves for mail that arrives later, and times out with a useful message', async () => {
    const waiting = capture.waitFor((m) => m.subject === 'later one', { timeoutMs: 5000 });
    setTimeout(() => {
      void transport.sendMail({ from: 'a@acme.test', to: 'b@example.com', subject: 'later one', text: 'x' });
    }, 100);
    const mail = await waiting;
    expect(mail.to).toEqual(['b@example.com']);
    expect(capture.messages()).toHaveLength(1);

    await expect(capture.waitFor((m) => m.subject === 'never', { timeoutMs: 200 })).rejects.toThrow(
      /no matching mail within 200 ms \(1 received: b@example\.com: "later one"\)/,
    );
  });

  it('rejects recipients with the configured SMTP codes', async () => {
    const hard = await transport
      .sendMail({ from: 'a@acme.test', to: 'bounce@example.com', subject: 's', text: 't' })
      .catch((e: unknown) => e);
    expect(hard).toMatchObject({ responseCode: 550 });
    expect(String((hard as Error).message)).toContain('No such user');

    const soft = await transport
      .sendMail({ from: 'a@acme.test', to: 'later@example.com', subject: 's', text: 't' })
      .catch((e: unknown) => e);
    expect(soft).toMatchObject({ responseCode: 451 });

    // Mixed: delivered to the accepted recipient, the other one reported as rejected.
    const info = await transport.sendMail({
      from: 'a@acme.test',
      to: ['ok@example.com', 'bounce@example.com'],
      subject: 'mixed',
      text: 't',
    });
    expect(info.accepted).toEqual(['ok@example.com']);
    expect(info.rejected).toEqual(['bounce@example.com']);
    expect((await capture.waitFor((m) => m.subject === 'mixed')).to).toEqual(['ok@example.com']);

    // The rule can change at run time (e.g. a temporary failure that clears up).
    capture.setRejectRecipient(undefined);
    await transport.sendMail({ from: 'a@acme.test', to: 'later@example.com', subject: 'retried', text: 't' });
    expect((await capture.waitFor((m) => m.subject === 'retried')).to).toEqual(['later@example.com']);
  });

  it('serves an escaped HTML list, JSON, the HTML body and the raw source over HTTP', async () => {
    await transport.sendMail({
      from: 'a@acme.test',
      to: 'web@example.com',
      subject: '<script>alert("x")</script> & more',
      html: '<h1>Body</h1>',
      text: 'Body',
    });
    const mail = await capture.waitFor((m) => m.to.includes('web@example.com'));
    const base = capture.httpUrl ?? '';
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const index = await fetch(`${base}/`);
    expect(index.headers.get('content-type')).toContain('text/html');
    const page = await index.text();
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(page).not.toContain('<script>');
    expect(page).toContain(`messages/${mail.id}`);

    const list = (await (await fetch(`${base}/messages`)).json()) as Array<Record<string, unknown>>;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: mail.id,
      subject: mail.subject,
      to: ['web@example.com'],
      html: '<h1>Body</h1>',
    });
    expect(list[0]).not.toHaveProperty('raw');

    const body = await fetch(`${base}/messages/${mail.id}`);
    expect(body.headers.get('content-security-policy')).toBe('sandbox');
    expect(await body.text()).toBe('<h1>Body</h1>');

    const raw = await fetch(`${base}/messages/${mail.id}.eml`);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(await raw.text()).toBe(mail.raw);

    expect((await fetch(`${base}/messages/nope`)).status).toBe(404);
  });
});
