// The send activity: consent, suppression, quiet hours and frequency cap are checked right before
// sending; a message row per send key makes retries and replays send once.
//
// The row: created 'claimed' with a Message-ID derived from the send key (the same on every
// attempt), then each attempt takes a lease ('sending', one atomic UPDATE: of two attempts at the
// same time only one sends), and ends it as 'sent' / 'bounced' / 'failed', or back to 'claimed' for
// the next attempt. The one duplicate no database can prevent: an attempt that dies after the SMTP
// server accepted the message but before the row says 'sent' is retried once its lease has run out
// (SEND_LEASE_MS); it carries the same Message-ID, which receivers use to drop duplicates.
//
// Outcomes, by what the receiving server answered:
// - accepted                          → row 'sent', { status: 'sent' }
// - 4xx, or the connection failed     → the activity throws and Temporal retries with backoff
// - 5xx on RCPT TO, or a 5.1.x status → hard bounce: row 'bounced', suppression row, a 'bounce'
//   (bad mailbox)                       engagement event recorded, { status: 'bounced' } (the lead
//                                       workflow feeds the bounce to scoring and stops emailing)
// - 5xx on DATA (content refused)     → row 'failed', { status: 'suppressed' }: not the address's
//                                       fault, so no suppression, and no endless retries
// - other 5xx (MAIL FROM, AUTH...)    → our sending setup is broken: retried until it is fixed
// A retry that finds the send settled returns the same outcome without touching SMTP.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { nextAllowedSend } from '../domain/delivery/policy.ts';
import { redactEmails } from '../security/redact.ts';
import type { ActivityDeps } from './deps.ts';
import { trackingLinks } from './links.ts';

export type SendResult =
  | { status: 'sent'; messageId: string }
  | { status: 'suppressed' | 'bounced'; reason: string }
  | { status: 'deferred'; retryAt: number; reason: string };

/** "Now" as the server sees it: under time skipping this is the skipped clock, not the wall clock. */
export function activityNow(): number {
  try {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  } catch {
    return Date.now();
  }
}

const domainOf = (address: string) => /@([^>\s]+)>?\s*$/.exec(address)?.[1] ?? 'nurture.local';

/** The Message-ID of a send key: the same on every attempt, so a receiver can drop a duplicate. */
export function messageIdFor(sendKey: string, mailFrom: string): string {
  return `<${createHash('sha256').update(sendKey).digest('hex').slice(0, 40)}@${domainOf(mailFrom)}>`;
}

type SmtpError = Error & { responseCode?: number; command?: string; response?: string };

/** How an SMTP failure should be handled (see the header comment). */
export function classifySmtpError(err: unknown): 'bounce' | 'rejected' | 'retry' {
  const e = err as SmtpError;
  const code = e?.responseCode;
  if (typeof code !== 'number' || code < 500 || code > 599) return 'retry';
  const text = `${e.response ?? ''} ${e.message ?? ''}`;
  if (e.command === 'RCPT TO' || /\b5\.1\.\d{1,3}\b/.test(text)) return 'bounce';
  if (e.command === 'DATA') return 'rejected';
  return 'retry';
}

const errorText = (err: unknown) => redactEmails(String((err as Error)?.message ?? err)).slice(0, 500);
/** "smtp 550" from a stored "smtp 550: <server text>". */
const bounceReason = (error: string | null) => error?.split(':')[0] || 'bounced';

/**
 * How long an attempt may hold a send before another attempt assumes it died: longer than the
 * activity's start-to-close timeout, so a slow but live attempt is never doubled.
 */
export const SEND_LEASE_MS = 5 * 60_000;

/** The outcome of a send that is over ('sent', 'bounced', 'failed'...), or undefined if it is not. */
function settledResult(row: {
  status: string;
  smtpId: string;
  error: string | null;
}): SendResult | undefined {
  if (row.status === 'sent') return { status: 'sent', messageId: row.smtpId };
  if (row.status === 'bounced') return { status: 'bounced', reason: bounceReason(row.error) };
  if (row.status === 'claimed' || row.status === 'sending') return undefined;
  return { status: 'suppressed', reason: `already ${row.status}` };
}

export function emailActivities(deps: ActivityDeps) {
  const { db, mailer, templates, settings } = deps;

  /** Claims the send key, sends once, records the outcome. Shared by marketing and sales mail. */
  async function deliver(args: {
    leadId: string;
    sendKey: string;
    template: string;
    to: string;
    marketing: boolean;
    vars: (links: ReturnType<typeof trackingLinks>) => Record<string, unknown>;
  }): Promise<SendResult> {
    const existing = await db.message.findUnique({ where: { sendKey: args.sendKey } });
    const settled = existing && settledResult(existing);
    if (settled) return settled;
    const message =
      existing ??
      (await db.message
        .create({
          data: {
            leadId: args.leadId,
            sendKey: args.sendKey,
            template: args.template,
            smtpId: messageIdFor(args.sendKey, settings.mailFrom),
          },
        })
        .catch(async (err: { code?: string }) => {
          // Two attempts raced for the claim: the other one created it; the lease below decides.
          if (err.code === 'P2002') return db.message.findUniqueOrThrow({ where: { sendKey: args.sendKey } });
          throw err;
        }));

    const now = activityNow();
    const links = trackingLinks(settings.publicBaseUrl, settings.linkSecret, args.leadId, message.id, now);
    const rendered = templates.render(args.template, args.vars(links) as never, {
      rewriteLink: args.marketing ? (href: string) => links.click(href) : undefined,
      openPixelUrl: args.marketing ? links.openPixel : undefined,
    });
    const headers: Record<string, string> = {};
    if (args.marketing) {
      // RFC 2369 + RFC 8058 one-click unsubscribe (required by bulk-sender rules), with a mailto
      // fallback for clients that do not POST: the inbound relay forwards it to the provider
      // endpoint as an `unsubscribe` event for its sender. No id in it: the sender is who leaves.
      headers['List-Unsubscribe'] =
        `<${links.unsubscribe}>, <mailto:unsubscribe@${domainOf(settings.mailFrom)}?subject=unsubscribe>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    // Take the send lease: one UPDATE ... WHERE, so of two attempts at the same time exactly one wins.
    // 'sending' with sentAt = when the lease was taken; a lease older than SEND_LEASE_MS belongs to an
    // attempt that died (worker crash) and may be taken over.
    const leased = await db.message.updateMany({
      where: {
        id: message.id,
        OR: [{ status: 'claimed' }, { status: 'sending', sentAt: { lt: new Date(now - SEND_LEASE_MS) } }],
      },
      data: {
        status: 'sending',
        sentAt: new Date(now),
        attempts: { increment: 1 },
        subject: rendered.subject,
      },
    });
    if (leased.count === 0) {
      const current = await db.message.findUniqueOrThrow({ where: { id: message.id } });
      const done = settledResult(current);
      if (done) return done;
      // Retryable: by the next attempt the other one has finished (or its lease has run out).
      throw new Error(`send ${args.sendKey} is in progress in another attempt`);
    }
    try {
      await mailer.sendMail({
        from: settings.mailFrom,
        to: args.to,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        messageId: message.smtpId,
        headers,
      });
    } catch (err) {
      const kind = classifySmtpError(err);
      const reason = `smtp ${(err as SmtpError).responseCode}`;
      if (kind === 'bounce') {
        const at = new Date(now);
        const bounced = db.message.update({
          where: { id: message.id },
          data: { status: 'bounced', sentAt: null, error: `${reason}: ${errorText(err)}`.slice(0, 500) },
        });
        if (!args.marketing) {
          await bounced; // a sales colleague's address: nothing to suppress or score on the lead
          return { status: 'bounced', reason };
        }
        await db.$transaction([
          bounced,
          db.suppression.upsert({
            where: { email: args.to },
            create: { email: args.to, reason: 'hard_bounce' },
            update: {},
          }),
          // For the log and reporting; the workflow learns of the bounce from this activity's result.
          db.engagementEvent.create({
            data: {
              leadId: args.leadId,
              clientEventId: `smtp-bounce:${message.id}`,
              type: 'bounce',
              channel: 'email',
              occurredAt: at,
              deliveredAt: at,
              properties: { template: args.template, reason, source: 'smtp' },
            },
          }),
        ]);
        return { status: 'bounced', reason };
      }
      if (kind === 'rejected') {
        await db.message.update({
          where: { id: message.id },
          data: { status: 'failed', sentAt: null, error: `${reason}: ${errorText(err)}`.slice(0, 500) },
        });
        return { status: 'suppressed', reason: `rejected (${reason})` };
      }
      await db.message.update({
        where: { id: message.id },
        data: { status: 'claimed', sentAt: null, error: errorText(err) },
      });
      // 4xx or connection trouble: Temporal retries with backoff, the claim stays ours. Rethrown
      // without nodemailer's envelope (recipient lists) so no address lands in logs or history.
      const retry = new Error(redactEmails(`SMTP send failed (${reason}): ${errorText(err)}`));
      Object.assign(retry, {
        responseCode: (err as SmtpError).responseCode,
        code: (err as { code?: string }).code,
      });
      throw retry;
    }
    await db.message.update({
      where: { id: message.id },
      data: { status: 'sent', sentAt: new Date(now), error: null },
    });
    return { status: 'sent', messageId: message.smtpId };
  }

  async function sendEmail(input: {
    leadId: string;
    sendKey: string;
    template: string;
  }): Promise<SendResult> {
    if (!templates.has(input.template))
      throw ApplicationFailure.nonRetryable(`unknown template '${input.template}'`);
    // A retry (or a replayed workflow) gets the outcome of the first successful attempt back.
    const previous = await db.message.findUnique({ where: { sendKey: input.sendKey } });
    const settled = previous && settledResult(previous);
    if (settled) return settled;

    const lead = await db.lead.findUnique({ where: { id: input.leadId } });
    if (!lead?.email || lead.erasedAt) return { status: 'suppressed', reason: 'erased' };
    const suppressed = await db.suppression.findUnique({ where: { email: lead.email } });
    if (suppressed) return { status: 'suppressed', reason: suppressed.reason };

    if (!previous) {
      // Policy is checked once, before the claim: a retry of a claimed send is not deferred again.
      const now = activityNow();
      const windowMs = deps.policy.frequencyCap?.windowMs ?? 0;
      const recent = windowMs
        ? await db.message.findMany({
            where: {
              leadId: lead.id,
              status: 'sent',
              sentAt: { gt: new Date(now - windowMs) },
              NOT: { sendKey: { startsWith: 'sales:' } },
            },
            select: { sentAt: true },
          })
        : [];
      const allowed = nextAllowedSend(
        now,
        lead,
        recent.map((m) => (m.sentAt as Date).getTime()),
        deps.policy,
      );
      if (allowed.at > now)
        return { status: 'deferred', retryAt: allowed.at, reason: allowed.reason ?? 'policy' };
    }

    return deliver({
      leadId: lead.id,
      sendKey: input.sendKey,
      template: input.template,
      to: lead.email,
      marketing: true,
      vars: (links) => ({
        lead: {
          firstName: lead.firstName ?? undefined,
          lastName: lead.lastName ?? undefined,
          company: lead.company ?? undefined,
          title: lead.title ?? undefined,
        },
        sender: {
          name: settings.mailFrom.replace(/\s*<.*>$/, ''),
          company: settings.mailFrom.replace(/\s*<.*>$/, ''),
          address: settings.postalAddress,
        },
        links: {
          unsubscribe: links.unsubscribe,
          download: `${settings.publicBaseUrl}/content/ebook`,
          webinar: `${settings.publicBaseUrl}/content/webinar`,
          pricing: `${settings.publicBaseUrl}/pricing`,
          content: `${settings.publicBaseUrl}/content`,
        },
      }),
    });
  }

  return { sendEmail, deliver };
}
