// Configuration from the environment: every bad variable named in one error; secrets lists for
// rotation; listener addresses checked before anything starts.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadAppEnv } from '../../config/env.ts';

const BASE = {
  DATABASE_URL: 'postgresql://app@db.internal:5432/nurture',
  LINK_SIGNING_SECRET: 'link-secret-0123456789',
  WEBHOOK_SIGNING_SECRET: 'webhook-secret-0123456789',
};

const errorOf = (env: Record<string, string>) => {
  try {
    loadAppEnv(env);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
};

describe('app configuration', () => {
  it('applies defaults to a minimal environment', () => {
    const env = loadAppEnv(BASE);
    expect(env).toMatchObject({
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_TASK_QUEUE: 'lead-nurture',
      API_PORT: 3000,
    });
    expect(env.PROVIDER_WEBHOOK_SECRET).toBeUndefined();
  });

  it('names every bad variable in one error', () => {
    const message = errorOf({
      LINK_SIGNING_SECRET: 'short',
      API_PORT: '70000',
      WORKER_METRICS_ADDRESS: '9464',
    });
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('LINK_SIGNING_SECRET');
    expect(message).toContain('WEBHOOK_SIGNING_SECRET');
    expect(message).toContain('API_PORT');
    expect(message).toMatch(/WORKER_METRICS_ADDRESS: must be host:port/);
  });

  it('takes a comma-separated provider secret list for rotation, each long enough', () => {
    const env = loadAppEnv({
      ...BASE,
      PROVIDER_WEBHOOK_SECRET: 'current-secret-0123456789, previous-secret-0123456789',
    });
    expect(env.PROVIDER_WEBHOOK_SECRET).toEqual(['current-secret-0123456789', 'previous-secret-0123456789']);
    expect(errorOf({ ...BASE, PROVIDER_WEBHOOK_SECRET: 'current-secret-0123456789,short' })).toMatch(
      /PROVIDER_WEBHOOK_SECRET\.1: each secret needs at least 16 characters/,
    );
  });

  it('accepts IPv4, IPv6 and host names for the worker metrics listener', () => {
    for (const address of ['0.0.0.0:9464', '[::]:9464', 'metrics.internal:9464'])
      expect(loadAppEnv({ ...BASE, WORKER_METRICS_ADDRESS: address }).WORKER_METRICS_ADDRESS).toBe(address);
  });
});
