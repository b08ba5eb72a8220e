// Turns validated settings into the real dependencies activities use.
import nodemailer from 'nodemailer';
import type { ActivityDeps } from '../activities/index.ts';
import type { AppEnv } from '../config/env.ts';
import { createDb, type Db } from '../db/client.ts';
import { assertValidPolicy, DEFAULT_POLICY } from '../domain/delivery/policy.ts';
import { SalesTeam } from '../domain/handoff/routing.ts';
import { loadTemplates } from '../email/render.ts';

export function salesTeamFromEnv(env: Pick<AppEnv, 'SALES_OWNERS' | 'SALES_MANAGER'>): SalesTeam {
  return SalesTeam.parse({
    reps: env.SALES_OWNERS.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((email) => ({ email })),
    manager: env.SALES_MANAGER,
  });
}

export function createMailer(smtpUrl: string) {
  // Pooled: one SMTP connection reused across sends instead of a handshake per email.
  return nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 5 } as never);
}

export async function buildDeps(env: AppEnv, db: Db = createDb(env.DATABASE_URL)): Promise<ActivityDeps> {
  assertValidPolicy(DEFAULT_POLICY);
  return {
    db,
    mailer: createMailer(env.SMTP_URL),
    templates: await loadTemplates(),
    policy: DEFAULT_POLICY,
    salesTeam: salesTeamFromEnv(env),
    settings: {
      publicBaseUrl: env.PUBLIC_BASE_URL,
      linkSecret: env.LINK_SIGNING_SECRET,
      webhookSecret: env.WEBHOOK_SIGNING_SECRET,
      salesWebhookUrl: env.SALES_WEBHOOK_URL,
      mailFrom: env.MAIL_FROM,
      postalAddress: env.MAIL_POSTAL_ADDRESS,
    },
  };
}
