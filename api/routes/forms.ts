// Hand-raiser forms (demo, contact sales, pricing, buying guide): the form's fields become the lead's
// profile and the form itself an intent event. Posted by the website's backend (JSON or urlencoded)
// with a write-scoped key; an empty field means "not given".
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ingestEvent } from '../../ingest/events.ts';
import { requireScope } from '../auth.ts';
import { rejectUnstorableText } from '../errors.ts';
import { EventResponses, FORMS, FormBody, FormParams } from '../schemas.ts';
import type { ApiContext } from '../server.ts';

export const formRoutes =
  (ctx: ApiContext): FastifyPluginAsyncZod =>
  async (app) => {
    app.addHook('preValidation', rejectUnstorableText);

    app.post(
      '/v1/forms/:form',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: 'A hand-raiser form submission (demo, contact-sales, pricing, buying-guide)',
          description:
            'demo → demo_request, contact-sales → contact_request, pricing → pricing_request, buying-guide → content_download ' +
            '(property asset=buying-guide). Profile fields from the form are merged into the lead.',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          params: FormParams,
          body: FormBody,
          response: EventResponses,
        },
      },
      async (req, reply) => {
        const form = FORMS[req.params.form];
        const { email, page, clientEventId, ...profile } = req.body;
        const result = await ingestEvent(
          { ...ctx, log: req.log },
          {
            email,
            type: form.type,
            channel: 'web',
            properties: {
              form: req.params.form,
              ...('properties' in form ? form.properties : {}),
              ...(page ? { page } : {}),
            },
            profile,
            clientEventId,
          },
        );
        return reply.code(result.duplicate ? 200 : 202).send(result);
      },
    );
  };
