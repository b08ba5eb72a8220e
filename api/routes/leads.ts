import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { feedbackUpdate, leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { requireScope } from '../auth.ts';
import { sendError } from '../errors.ts';
import { FeedbackBody, LeadIdParams } from '../schemas.ts';
import type { ApiContext } from '../server.ts';

/** Turns an update's validator refusal ("field: problem") into a 409 naming the field. */
export function updateRefusal(err: unknown): { field: string; message: string } | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const message = err.cause?.message ?? err.message;
  const m = /^(\w+): (.*)$/s.exec(message);
  return m ? { field: `body.${m[1]}`, message: m[2] as string } : { field: 'body', message };
}

export const leadRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/leads/:id',
      { preHandler: requireScope(ctx.db, 'read'), schema: { summary: 'Lead state: live workflow state plus history', params: LeadIdParams } },
      async (req, reply) => {
        const lead = await ctx.db.lead.findUnique({
          where: { id: req.params.id },
          include: { transitions: { orderBy: { at: 'asc' } }, handoffs: true, messages: { orderBy: { createdAt: 'asc' } } },
        });
        if (!lead) return sendError(reply, 404, 'not_found', [{ field: 'params.id', message: 'no such lead' }]);
        const live = await ctx.temporal.workflow
          .getHandle(leadWorkflowId(lead.id))
          .query(stateQuery)
          .catch(() => undefined);
        return {
          id: lead.id,
          stage: lead.stage,
          scores: { fit: lead.scoreFit, engagement: lead.scoreEngagement, intent: lead.scoreIntent },
          erased: lead.erasedAt !== null,
          live,
          transitions: lead.transitions.map((t) => ({ from: t.fromStage, to: t.toStage, reason: t.reason, actor: t.actor, at: t.at })),
          handoffs: lead.handoffs.map((h) => ({ id: h.id, owner: h.owner, status: h.status, createdAt: h.createdAt })),
          messages: lead.messages.map((m) => ({ template: m.template, status: m.status, sentAt: m.sentAt })),
        };
      },
    );

    app.post(
      '/v1/leads/:id/feedback',
      { preHandler: requireScope(ctx.db, 'write'), schema: { summary: "Sales' answer to a handoff", params: LeadIdParams, body: FeedbackBody } },
      async (req, reply) => {
        try {
          const state = await ctx.temporal.workflow.getHandle(leadWorkflowId(req.params.id)).executeUpdate(feedbackUpdate, { args: [req.body] });
          return { stage: state.stage };
        } catch (err) {
          const refusal = updateRefusal(err);
          if (refusal) return sendError(reply, 409, 'conflict', [refusal]);
          if ((err as Error).name === 'WorkflowNotFoundError') return sendError(reply, 404, 'not_found', [{ field: 'params.id', message: 'no journey for this lead' }]);
          throw err;
        }
      },
    );
  };
