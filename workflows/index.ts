// Entry point the worker bundles: every workflow type the task queue serves.
export { handoffWorkflow } from './handoff.ts';
export { leadWorkflow } from './lead.ts';
export { webhookRedeliveryWorkflow } from './webhooks.ts';
