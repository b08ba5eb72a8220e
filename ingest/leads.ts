// Leads as resources: create/update a profile by email, and GDPR erasure.
import { WorkflowNotFoundError } from '@temporalio/client';
import { eraseLeadData } from '../db/erasure.ts';
import { eraseSignal, leadWorkflowId } from '../workflows/definitions.ts';
import {
  errorSummary,
  type IngestContext,
  type ProfileInput,
  signalProfile,
  upsertLead,
  withDeadline,
} from './events.ts';

export interface SaveLeadResult {
  leadId: string;
  created: boolean;
  /** Names of the attributes that changed. */
  changed: string[];
  /** True when a running journey was told about the change. */
  signalled: boolean;
}

/** Creates or updates a lead's profile (merge by normalised email); signals a running workflow. */
export async function saveLead(
  ctx: IngestContext,
  email: string,
  profile: ProfileInput,
): Promise<SaveLeadResult> {
  const { lead, created, changed } = await upsertLead(ctx.db, email, profile);
  const signalled = created ? false : await signalProfile(ctx, lead.id, changed);
  return { leadId: lead.id, created, changed: Object.keys(changed), signalled };
}

export type ErasureResult =
  | { status: 'not_found' }
  /** Already erased earlier: nothing to do. */
  | { status: 'erased' }
  /** The running journey was signalled: it erases through its eraseLead activity and completes. */
  | { status: 'requested' }
  /** No running journey (or Temporal unreachable): erased in the database now. */
  | { status: 'erased_directly'; workflow: 'none' | 'unreachable' };

/**
 * Erases a lead's personal data. A running journey gets the `erase` signal (it cancels any open
 * handoff, erases and completes); without one the same erasure is done here, at once.
 */
export async function requestErasure(ctx: IngestContext, leadId: string): Promise<ErasureResult> {
  const lead = await ctx.db.lead.findUnique({ where: { id: leadId }, select: { id: true, erasedAt: true } });
  if (!lead) return { status: 'not_found' };
  if (lead.erasedAt) return { status: 'erased' };
  try {
    await withDeadline(ctx, () =>
      ctx.temporal.workflow.getHandle(leadWorkflowId(leadId)).signal(eraseSignal),
    );
    return { status: 'requested' };
  } catch (err) {
    const notRunning = err instanceof WorkflowNotFoundError;
    if (!notRunning)
      ctx.log?.warn(
        { err: errorSummary(err), leadId },
        'erase: workflow unreachable; erasing in the database',
      );
    await eraseLeadData(ctx.db, leadId);
    return { status: 'erased_directly', workflow: notRunning ? 'none' : 'unreachable' };
  }
}
