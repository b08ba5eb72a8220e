// POST /v1/imports: a CSV upload (text/csv), streamed through the parser, never buffered whole.
// The answer is a report: how many rows were accepted, and every rejected row with the column and
// the problem. Send `Idempotency-Key` to make a retried upload of the same file a no-op per row.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CsvHeaderError,
  CsvLimitError,
  type ImportRow,
  importCsv,
  type RowParser,
} from '../../ingest/csv.ts';
import { requireScope } from '../auth.ts';
import { fieldPath, sendError, unstorable } from '../errors.ts';
import { CSV_COLUMNS, CsvRow, ErrorBody, ImportQuery, ImportReport } from '../schemas.ts';
import type { ApiContext } from '../server.ts';

const ImportTooLarge = ErrorBody.extend({
  report: ImportReport.optional().describe('what was imported before the limit'),
});

export interface ImportLimits {
  maxBytes?: number;
  maxRows?: number;
  concurrency?: number;
}

const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits and . _ : - only, at most 100')
  .optional();

/** Validates one row's cells; `defaultSequence` applies to rows without a sequence. */
export function csvRowParser(defaultSequence?: string): RowParser {
  return (cells) => {
    const issues: Array<{ field: string; message: string }> = [];
    for (const [col, value] of Object.entries(cells)) {
      const why = unstorable(value);
      if (why) issues.push({ field: col, message: why });
    }
    if (issues.length) return { ok: false, issues };
    const parsed = CsvRow.safeParse(cells);
    if (!parsed.success)
      return {
        ok: false,
        issues: parsed.error.issues.map((i) => ({
          field: i.path.length ? fieldPath('', i.path) : 'row',
          message: i.message,
        })),
      };
    const r = parsed.data;
    const row: ImportRow = {
      email: r.email,
      profile: {
        firstName: r.first_name,
        lastName: r.last_name,
        company: r.company,
        title: r.title,
        country: r.country,
        timezone: r.timezone,
        seniority: r.seniority,
        companySize: r.company_size,
        industry: r.industry,
      },
      sequence: r.sequence ?? defaultSequence,
    };
    return { ok: true, value: row };
  };
}

export const importRoutes =
  (ctx: ApiContext, limits: ImportLimits = {}): FastifyPluginAsyncZod =>
  async (app) => {
    // Hand the raw request stream over: csv-parse reads it as it arrives (no body limit applies here;
    // the import has its own byte and row limits).
    const raw = (_req: unknown, payload: Readable, done: (err: Error | null, body?: unknown) => void) =>
      done(null, payload);
    app.addContentTypeParser(['text/csv', 'application/csv'], raw);

    app.post(
      '/v1/imports',
      {
        onRequest: requireScope(ctx.db, 'write'),
        schema: {
          summary: 'Import leads from a CSV file (text/csv), streamed',
          description:
            `Header line required; known columns: ${CSV_COLUMNS.join(', ')} (email required; names are case-insensitive, ` +
            'spaces and dashes read as underscores). Each valid row creates or updates the lead and enrols it; each ' +
            'invalid row is reported as { row, field, message } with row = line number in the file (header = 1).',
          consumes: ['text/csv'],
          querystring: ImportQuery,
          response: {
            200: ImportReport,
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            413: ImportTooLarge,
            415: ErrorBody,
          },
        },
      },
      async (req, reply) => {
        const body = req.body as Readable | undefined;
        if (!body || typeof body.pipe !== 'function')
          return sendError(reply, 415, 'unsupported_media_type', [
            { field: 'header.content-type', message: 'send the file as text/csv' },
          ]);
        const key = IdempotencyKey.safeParse(req.headers['idempotency-key']);
        if (!key.success)
          return sendError(reply, 400, 'invalid_request', [
            { field: 'header.idempotency-key', message: key.error.issues[0]?.message ?? 'invalid' },
          ]);
        const maxBytes = limits.maxBytes ?? 50 * 1024 * 1024;
        const declared = Number(req.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          reply.header('connection', 'close');
          return sendError(reply, 413, 'payload_too_large', [
            { field: 'body', message: `the file is larger than ${maxBytes} bytes` },
          ]);
        }
        try {
          const report = await importCsv({ ...ctx, log: req.log }, body, {
            importId: key.data ?? randomUUID(),
            columns: CSV_COLUMNS,
            required: ['email'],
            parseRow: csvRowParser(req.query.sequence),
            concurrency: limits.concurrency ?? 8,
            maxBytes,
            maxRows: limits.maxRows,
          });
          if (!report.complete) reply.header('connection', 'close');
          req.log.info(
            { importId: report.importId, accepted: report.accepted, rejectedRows: report.rejectedRows },
            'csv import',
          );
          return reply.code(200).send(report);
        } catch (err) {
          if (err instanceof CsvHeaderError) {
            reply.header('connection', 'close');
            return sendError(
              reply,
              400,
              'invalid_request',
              err.issues.map((i) => ({
                field: i.field === 'body' ? 'body' : `body.${i.field}`,
                message: i.message,
              })),
            );
          }
          if (err instanceof CsvLimitError) {
            reply.header('connection', 'close');
            return sendError(
              reply,
              413,
              'payload_too_large',
              [{ field: 'body', message: `${err.message}; rows before the limit were imported` }],
              {
                report: err.report,
              },
            );
          }
          throw err;
        }
      },
    );
  };
