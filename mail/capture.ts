// A real SMTP server that keeps what it receives (tests, and the quick start's "inbox"): the app
// sends with nodemailer over SMTP exactly as in production, and the mail can be inspected here,
// in <dir>/<id>.eml files, or in a small web view.
// - No TLS (STARTTLS is not offered) and no authentication needed; AUTH, if a client insists, is
//   accepted with any credentials.
// - `rejectRecipient` answers RCPT TO with an error to simulate temporary (4xx) or permanent (5xx)
//   failures; nodemailer then reports it in `err.responseCode` (or `info.rejected` when other
//   recipients of the same message were accepted).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface CapturedMail {
  /** Unique, URL- and filename-safe, sortable by arrival. */
  id: string;
  /** Address from the From header (falls back to the envelope sender). */
  from: string;
  /** Envelope recipients accepted by RCPT TO: who actually got it (includes Bcc). */
  to: string[];
  /** SMTP envelope as received (MAIL FROM / accepted RCPT TO). */
  envelope: { from: string; to: string[] };
  subject: string;
  html: string | null;
  text: string | null;
  /** Lower-cased header name → value (decoded when the parser decodes it; repeated headers joined by ", "). */
  headers: Record<string, string>;
  /** Message-ID header, with its angle brackets, or null. */
  messageId: string | null;
  receivedAt: Date;
  attachments: { filename: string | null; contentType: string; size: number }[];
  /** The message source as received. */
  raw: string;
}

export type RejectRecipient = (address: string) => null | { code: number; message: string };

export interface MailCaptureOptions {
  /** SMTP port; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Serve the web view on this port (0: any free port). Omitted: no web view. */
  httpPort?: number;
  /** Also write each message to <dir>/<id>.eml. */
  dir?: string;
  rejectRecipient?: RejectRecipient;
  /** Maximum message size in bytes (default 25 MB). */
  maxSize?: number;
}

export interface MailCapture {
  smtpPort: number;
  host: string;
  /** Base URL of the web view, when httpPort was given. */
  httpUrl?: string;
  /** Everything received since start (or the last clear()), oldest first. */
  messages(): CapturedMail[];
  /** The first message (already received or arriving later) matching predicate. */
  waitFor(predicate?: (mail: CapturedMail) => boolean, opts?: { timeoutMs?: number }): Promise<CapturedMail>;
  clear(): void;
  /** Replace (or remove, with undefined) the recipient rejection rule at run time. */
  setRejectRecipient(fn: RejectRecipient | undefined): void;
  stop(): Promise<void>;
}

interface Waiter {
  predicate: (mail: CapturedMail) => boolean;
  resolve: (mail: CapturedMail) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

function firstAddress(value: AddressObject | AddressObject[] | undefined): string | undefined {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  for (const obj of list) {
    for (const entry of obj.value) {
      if (entry.address) return entry.address;
    }
  }
  return undefined;
}

function headerMap(parsed: ParsedMail): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of parsed.headerLines) {
    const name = key.toLowerCase();
    const decoded = parsed.headers.get(name);
    // Unstructured headers come back decoded as strings; structured ones (addresses, dates,
    // content-type, list-*) as objects: use the raw line, unfolded, for those.
    const rawValue = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    const value = typeof decoded === 'string' ? decoded : rawValue;
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function renderIndex(mails: CapturedMail[]): string {
  const rows = mails
    .slice()
    .reverse()
    .map((m) => {
      const id = encodeURIComponent(m.id);
      return `<tr><td>${escapeHtml(m.receivedAt.toISOString())}</td><td>${escapeHtml(m.from)}</td><td>${escapeHtml(
        m.to.join(', '),
      )}</td><td><a href="messages/${id}">${escapeHtml(m.subject || '(no subject)')}</a></td><td><a href="messages/${id}.eml">.eml</a></td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Captured mail</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body><h1>Captured mail (${mails.length})</h1>
<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Source</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">No messages yet.</td></tr>'}
</tbody></table></body></html>
`;
}

function toJson(mail: CapturedMail) {
  const { raw: _raw, ...rest } = mail;
  return rest;
}

export async function startMailCapture(options: MailCaptureOptions = {}): Promise<MailCapture> {
  const host = options.host ?? '127.0.0.1';
  const dir = options.dir ? resolve(options.dir) : undefined;
  if (dir) mkdirSync(dir, { recursive: true });
  let rejectRecipient = options.rejectRecipient;
  let mails: CapturedMail[] = [];
  let waiters: Waiter[] = [];
  let seq = 0;

  const deliver = (mail: CapturedMail) => {
    mails.push(mail);
    const remaining: Waiter[] = [];
    for (const waiter of waiters) {
      let matched = false;
      try {
        matched = waiter.predicate(mail);
      } catch (err) {
        clearTimeout(waiter.timer);
        waiter.reject(err as Error);
        continue;
      }
      if (matched) {
        clearTimeout(waiter.timer);
        waiter.resolve(mail);
      } else {
        remaining.push(waiter);
      }
    }
    waiters = remaining;
  };

  const smtp = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    authOptional: true,
    allowInsecureAuth: true,
    size: options.maxSize ?? 25 * 1024 * 1024,
    logger: false,
    // Do not wait 30 s for pooled clients on stop().
    closeTimeout: 1000,
    banner: 'lead-nurture mail capture',
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const verdict = rejectRecipient?.(address.address);
      if (verdict) {
        const err = new Error(verdict.message) as Error & { responseCode: number };
        err.responseCode = verdict.code;
        callback(err);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = new Error('Message exceeds the maximum size') as Error & { responseCode: number };
          err.responseCode = 552;
          callback(err);
          return;
        }
        const source = Buffer.concat(chunks);
        simpleParser(source)
          .then((parsed) => {
            seq += 1;
            const receivedAt = new Date();
            const id = `${receivedAt.getTime().toString(36)}-${String(seq).padStart(5, '0')}-${randomBytes(3).toString('hex')}`;
            const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
            const mail: CapturedMail = {
              id,
              from: firstAddress(parsed.from) ?? envelopeFrom,
              to: envelopeTo,
              envelope: { from: envelopeFrom, to: envelopeTo },
              subject: parsed.subject ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : null,
              text: parsed.text ?? null,
              headers: headerMap(parsed),
              messageId: parsed.messageId ?? null,
              receivedAt,
              attachments: parsed.attachments.map((a) => ({
                filename: a.filename ?? null,
                contentType: a.contentType,
                size: a.size,
              })),
              raw: source.toString('utf8'),
            };
            if (dir) writeFileSync(join(dir, `${id}.eml`), source);
            deliver(mail);
            callback(null, `Message captured as ${id}`);
          })
          .catch((err: Error) => {
            const e = new Error(`Could not parse message: ${err.message}`) as Error & {
              responseCode: number;
            };
            e.responseCode = 554;
            callback(e);
          });
      });
    },
  });
  smtp.on('error', () => {
    // Client-side protocol errors and resets are normal for a test server; nothing to do.
  });

  await new Promise<void>((resolvePromise, reject) => {
    const onError = (err: Error) => reject(err);
    smtp.server.once('error', onError);
    smtp.listen(options.port ?? 0, host, () => {
      smtp.server.removeListener('error', onError);
      resolvePromise();
    });
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  let http: HttpServer | undefined;
  let httpUrl: string | undefined;
  if (options.httpPort !== undefined) {
    http = createHttpServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      const send = (
        status: number,
        type: string,
        body: string | Buffer,
        extra: Record<string, string> = {},
      ) => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
        res.end(body);
      };
      if (req.method === 'DELETE' && path === '/messages') {
        mails = [];
        send(204, 'text/plain', '');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'GET, HEAD' });
        return;
      }
      if (path === '/') {
        send(200, 'text/html; charset=utf-8', renderIndex(mails));
        return;
      }
      if (path === '/messages') {
        send(200, 'application/json; charset=utf-8', JSON.stringify(mails.map(toJson)));
        return;
      }
      const match = /^\/messages\/([^/]+?)(\.eml|\.json)?$/.exec(path);
      const mail = match ? mails.find((m) => m.id === match[1]) : undefined;
      if (!match || !mail) {
        send(404, 'text/plain; charset=utf-8', 'Not found\n');
        return;
      }
      if (match[2] === '.eml') {
        send(200, 'message/rfc822', mail.raw, {
          'content-disposition': `attachment; filename="${mail.id}.eml"`,
        });
      } else if (match[2] === '.json') {
        send(200, 'application/json; charset=utf-8', JSON.stringify(toJson(mail)));
      } else if (mail.html !== null) {
        // Mail HTML is untrusted: no scripts, no same-origin access to this view.
        send(200, 'text/html; charset=utf-8', mail.html, { 'content-security-policy': 'sandbox' });
      } else {
        send(200, 'text/plain; charset=utf-8', mail.text ?? '');
      }
    });
    const server = http;
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(options.httpPort, host, () => {
        server.removeListener('error', reject);
        resolvePromise();
      });
    });
    const { port } = server.address() as AddressInfo;
    httpUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  let stopping: Promise<void> | undefined;
  return {
    smtpPort,
    host,
    httpUrl,
    messages: () => mails.slice(),
    waitFor(predicate = () => true, opts = {}) {
      const existing = mails.find(predicate);
      if (existing) return Promise.resolve(existing);
      const timeoutMs = opts.timeoutMs ?? 10_000;
      return new Promise<CapturedMail>((resolvePromise, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: resolvePromise,
          reject,
          timer: setTimeout(() => {
            waiters = waiters.filter((w) => w !== waiter);
            const seen = mails.map((m) => `${m.to.join(',')}: ${JSON.stringify(m.subject)}`).join('; ');
            reject(
              new Error(
                `waitFor: no matching mail within ${timeoutMs} ms (${mails.length} received${seen ? `: ${seen}` : ''})`,
              ),
            );
          }, timeoutMs),
        };
        waiters.push(waiter);
      });
    },
    clear() {
      mails = [];
    },
    setRejectRecipient(fn) {
      rejectRecipient = fn;
    },
    stop() {
      stopping ??= (async () => {
        for (const waiter of waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error('mail capture stopped'));
        }
        waiters = [];
        await Promise.all([
          new Promise<void>((resolvePromise) => smtp.close(() => resolvePromise())),
          http
            ? new Promise<void>((resolvePromise) => {
                http?.close(() => resolvePromise());
                http?.closeAllConnections();
              })
            : Promise.resolve(),
        ]);
      })();
      return stopping;
    },
  };
}
