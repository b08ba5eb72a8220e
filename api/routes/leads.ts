import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requestErasure, saveLead } from '../../ingest/leads.ts';
import { feedbackUpdate, leadWorkflowId, stateQuery } from '../../workflows/definitions.ts';
import { requireScope } from '../auth.ts';
import { rejectUnstorableText, sendError } from '../errors.ts';
import { ErrorBody, FeedbackBody, LeadErasure, LeadIdParams, LeadSaved, LeadUpsertBody } from '../schemas.ts';
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
    app.addHook('preValidation', rejectUnstorableText);

    app.put(
      '/v1/leads',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: 'Create or update a lead profile (merged by email: trimmed, case-insensitive)',
          description:
            'Attributes given replace stored ones, `fields` merge key by key, omitted attributes are kept. A running ' +
            'journey gets the changes through its `profile` signal. 201 created, 200 updated (or unchanged).',
          body: LeadUpsertBody,
          response: { 200: LeadSaved, 201: LeadSaved, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (req, reply) => {
        const { email, ...profile } = req.body;
        const saved = await saveLead({ ...ctx, log: req.log }, email, profile);
        return reply.code(saved.created ? 201 : 200).send(saved);
      },
    );

    app.delete(
      '/v1/leads/:id',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: 'Erase a lead (GDPR): personal data goes, anonymous counts stay',
          description:
            'A running journey is signalled (`erase`): it cancels any open handoff, erases and completes. Without one, the ' +
            'erasure happens at once. Afterwards the lead has no address or name and its events no properties; ' +
            'event and stage-history counts remain.',
          params: LeadIdParams,
          response: { 202: LeadErasure, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (req, reply) => {
        const result = await requestErasure({ ...ctx, log: req.log }, req.params.id);
        if (result.status === 'not_found')
          return sendError(reply, 404, 'not_found', [{ field: 'params.id', message: 'no such lead' }]);
        return reply.code(202).send({ leadId: req.params.id, status: result.status });
      },
    );

    app.get(
      '/v1/leads/:id',
      {
        onRequest: requireScope(ctx.db, 'read'),
        schema: { summary: 'Lead state: live workflow state plus history', params: LeadIdParams },
      },
      async (req, reply) => {
        const lead = await ctx.db.lead.findUnique({
          where: { id: req.params.id },
          include: {
            transitions: { orderBy: { at: 'asc' } },
            handoffs: true,
            messages: { orderBy: { createdAt: 'asc' } },
            _count: { select: { events: true } },
          },
        });
        if (!lead)
          return sendError(reply, 404, 'not_found', [{ field: 'params.id', message: 'no such lead' }]);
        const live = await ctx.temporal
          .withDeadline(Date.now() + 3_000, () =>
            ctx.temporal.workflow.getHandle(leadWorkflowId(lead.id)).query(stateQuery),
          )
          .catch(() => undefined);
        return {
          id: lead.id,
          stage: lead.stage,
          scores: { fit: lead.scoreFit, engagement: lead.scoreEngagement, intent: lead.scoreIntent },
          erased: lead.erasedAt !== null,
          counts: { events: lead._count.events, transitions: lead.transitions.length },
          live,
          transitions: lead.transitions.map((t) => ({
            from: t.fromStage,
            to: t.toStage,
            reason: t.reason,
            actor: t.actor,
            at: t.at,
          })),
          handoffs: lead.handoffs.map((h) => ({
            id: h.id,
            owner: h.owner,
            status: h.status,
            createdAt: h.createdAt,
          })),
          messages: lead.messages.map((m) => ({ template: m.template, status: m.status, sentAt: m.sentAt })),
        };
      },
    );

    app.post(
      '/v1/leads/:id/feedback',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: "Sales' answer to a handoff",
          description:
            "Applied through the journey's `salesFeedback` update; 409 names the field when the journey refuses it.",
          params: LeadIdParams,
          body: FeedbackBody,
        },
      },
      async (req, reply) => {
        try {
          const state = await ctx.temporal.withDeadline(Date.now() + 30_000, () =>
            ctx.temporal.workflow
              .getHandle(leadWorkflowId(req.params.id))
              .executeUpdate(feedbackUpdate, { args: [req.body] }),
          );
          return { stage: state.stage };
        } catch (err) {
          const refusal = updateRefusal(err);
          if (refusal) return sendError(reply, 409, 'conflict', [refusal]);
          if ((err as Error).name === 'WorkflowNotFoundError')
            return sendError(reply, 404, 'not_found', [
              { field: 'params.id', message: 'no journey for this lead' },
            ]);
          throw err;
        }
      },
    );
  };
