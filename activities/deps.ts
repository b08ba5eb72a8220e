// What activities need from the outside world, injected once at worker start (Temporal samples'
// "activities as a factory" pattern): tests pass a real database and a real SMTP server.
import type { Transporter } from 'nodemailer';
import type { Db } from '../db/client.ts';
import type { DeliveryPolicy } from '../domain/delivery/policy.ts';
import type { SalesTeam } from '../domain/handoff/routing.ts';
import type { TemplateRegistry } from '../email/render.ts';

export interface ActivityDeps {
  db: Db;
  mailer: Transporter;
  templates: TemplateRegistry;
  policy: DeliveryPolicy;
  salesTeam: SalesTeam;
  settings: {
    publicBaseUrl: string;
    linkSecret: string;
    webhookSecret: string;
    salesWebhookUrl?: string;
    mailFrom: string;
    postalAddress: string;
  };
}
