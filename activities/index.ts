// All activities, built from injected dependencies. Workflows import only the *type* below.
import { catalog } from '../sequences/index.ts';
import type { ActivityDeps } from './deps.ts';
import { emailActivities } from './email.ts';
import { lifecycleActivities } from './lifecycle.ts';
import { salesActivities } from './sales.ts';
import { webhookActivities } from './webhooks.ts';

/** The catalog this worker was deployed with decides what "latest" means (a local activity). */
async function latestSequenceVersion({ sequenceId }: { sequenceId: string }): Promise<number | undefined> {
  return catalog.latest(sequenceId)?.version;
}

export function createActivities(deps: ActivityDeps) {
  const email = emailActivities(deps);
  return {
    latestSequenceVersion,
    sendEmail: email.sendEmail,
    ...lifecycleActivities(deps),
    ...salesActivities(deps, email),
    ...webhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.ts';
export type { WebhookInput, WebhookResult } from './webhooks.ts';
