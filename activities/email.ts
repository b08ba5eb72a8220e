// The send activity: consent, suppression, quiet hours and frequency cap are checked right before
// sending; a message row claimed per send key makes retries and replays send at most once.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { nextAllowedSend } from '../domain/delivery/policy.ts';
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

/** SMTP says the recipient is permanently bad (5xx): retrying would only hurt our reputation. */
function isHardBounce(err: unknown): boolean {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
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
    if (existing?.status === 'sent') return { status: 'sent', messageId: existing.smtpId };
    if (existing && existing.status !== 'claimed') return { status: 'suppressed', reason: `already ${existing.status}` };
    const message =
      existing ??
      (await db.message
        .create({
          data: {
            leadId: args.leadId,
            sendKey: args.sendKey,
            template: args.template,
            smtpId: `<${crypto.randomUUID()}@${domainOf(settings.mailFrom)}>`,
          },
        })
        .catch(async (err: { code?: string }) => {
          // Two attempts raced for the claim: the other one owns it now.
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
      // RFC 8058 one-click unsubscribe (required by bulk-sender rules) plus a mailto fallback.
      headers['List-Unsubscribe'] = `<${links.unsubscribe}>, <mailto:unsubscribe@${domainOf(settings.mailFrom)}?subject=unsubscribe-${args.leadId}>`;
      headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    }
    await db.message.update({ where: { id: message.id }, data: { attempts: { increment: 1 }, subject: rendered.subject } });
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
      if (isHardBounce(err)) {
        const reason = `smtp ${(err as { responseCode: number }).responseCode}`;
        await db.$transaction([
          db.message.update({ where: { id: message.id }, data: { status: 'bounced', error: String((err as Error).message).slice(0, 500) } }),
          db.suppression.upsert({ where: { email: args.to }, create: { email: args.to, reason: 'hard_bounce' }, update: {} }),
        ]);
        return { status: 'bounced', reason };
      }
      await db.message.update({ where: { id: message.id }, data: { error: String((err as Error).message).slice(0, 500) } });
      throw err; // 4xx or connection trouble: Temporal retries with backoff, the claim stays ours
    }
    await db.message.update({ where: { id: message.id }, data: { status: 'sent', sentAt: new Date(now), error: null } });
    return { status: 'sent', messageId: message.smtpId };
  }

  async function sendEmail(input: { leadId: string; sendKey: string; template: string }): Promise<SendResult> {
    if (!templates.has(input.template)) throw ApplicationFailure.nonRetryable(`unknown template '${input.template}'`);
    const lead = await db.lead.findUnique({ where: { id: input.leadId } });
    if (!lead || !lead.email || lead.erasedAt) return { status: 'suppressed', reason: 'erased' };
    const suppressed = await db.suppression.findUnique({ where: { email: lead.email } });
    if (suppressed) return { status: 'suppressed', reason: suppressed.reason };

    const alreadySent = await db.message.findUnique({ where: { sendKey: input.sendKey } });
    if (!alreadySent) {
      const now = activityNow();
      const windowMs = deps.policy.frequencyCap?.windowMs ?? 0;
      const recent = windowMs
        ? await db.message.findMany({
            where: { leadId: lead.id, status: 'sent', sentAt: { gt: new Date(now - windowMs) }, NOT: { sendKey: { startsWith: 'sales:' } } },
            select: { sentAt: true },
          })
        : [];
      const allowed = nextAllowedSend(now, lead, recent.map((m) => (m.sentAt as Date).getTime()), deps.policy);
      if (allowed.at > now) return { status: 'deferred', retryAt: allowed.at, reason: allowed.reason ?? 'policy' };
    }

    return deliver({
      leadId: lead.id,
      sendKey: input.sendKey,
      template: input.template,
      to: lead.email,
      marketing: true,
      vars: (links) => ({
        lead: { firstName: lead.firstName ?? undefined, lastName: lead.lastName ?? undefined, company: lead.company ?? undefined, title: lead.title ?? undefined },
        sender: { name: settings.mailFrom.replace(/\s*<.*>$/, ''), company: settings.mailFrom.replace(/\s*<.*>$/, ''), address: settings.postalAddress },
        links: { unsubscribe: links.unsubscribe, download: `${settings.publicBaseUrl}/content/ebook`, webinar: `${settings.publicBaseUrl}/content/webinar`, pricing: `${settings.publicBaseUrl}/pricing`, content: `${settings.publicBaseUrl}/content` },
      }),
    });
  }

  return { sendEmail, deliver };
}
