// Redelivery of an outgoing webhook an operator asked for (POST /v1/webhooks/deliveries/:id/redeliver):
// the stored event sent again under its original id, with the same retry policy as the first time.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { WebhookInput, WebhookResult } from '../activities/webhooks.ts';

const { deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '30 minutes' },
});

export async function webhookRedeliveryWorkflow(
  input: Required<Pick<WebhookInput, 'event' | 'key' | 'payload'>>,
): Promise<WebhookResult> {
  return deliverWebhook(input);
}
