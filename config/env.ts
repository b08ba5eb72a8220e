// All runtime settings come from environment variables, validated once with zod so a typo fails at
// start with the variable's name instead of deep inside a request.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const TemporalEnv = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('lead-nurture'),
  /** mTLS (self-hosted cluster or Temporal Cloud with certificates). */
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  /** Temporal Cloud API key (implies TLS). */
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: bool.optional(),
});

export const AppEnv = TemporalEnv.extend({
  DATABASE_URL: z.string().url(),
  SMTP_URL: z.string().url().default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('Acme Growth <hello@acme.test>'),
  /** Postal address in every marketing email's footer (CAN-SPAM). */
  MAIL_POSTAL_ADDRESS: z.string().default('Acme Inc., 1 Example Street, Springfield'),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:3000'),
  /** Signs tracking, unsubscribe and sales-feedback links. */
  LINK_SIGNING_SECRET: z.string().min(16),
  /** Signs outgoing webhooks (sales handoff, stage changes). */
  WEBHOOK_SIGNING_SECRET: z.string().min(16),
  SALES_WEBHOOK_URL: z.string().url().optional(),
  /**
   * Verifies bounce / complaint / mailto-unsubscribe webhooks (POST /v1/providers/email-events).
   * Comma-separated to rotate: the current secret first, the previous one after it.
   */
  PROVIDER_WEBHOOK_SECRET: z
    .string()
    .transform((v) => v.split(',').map((x) => x.trim()))
    .pipe(z.array(z.string().min(16, 'each secret needs at least 16 characters')).min(1))
    .optional(),
  /** Comma-separated sales owners' addresses, routed round-robin unless rules say otherwise. */
  SALES_OWNERS: z.string().default('sales@acme.test'),
  SALES_MANAGER: z.string().email().default('sales-manager@acme.test'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** host:port for the worker's Prometheus exporter (Temporal SDK metrics at /metrics); unset: off. */
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464 or [::]:9464')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type TemporalEnv = z.infer<typeof TemporalEnv>;
export type AppEnv = z.infer<typeof AppEnv>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses env, naming every bad variable in one error. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export const loadAppEnv = (env: NodeJS.ProcessEnv = process.env): AppEnv => parseEnv(AppEnv, env);
export const loadTemporalEnv = (env: NodeJS.ProcessEnv = process.env): TemporalEnv =>
  parseEnv(TemporalEnv, env);
