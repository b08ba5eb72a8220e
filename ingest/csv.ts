// CSV lead import, streamed: the upload is parsed as it arrives (csv-parse), each row validated on
// its own, and valid rows ingested a few at a time (a semaphore; waiting for a slot pauses the
// parser, which pauses the socket: memory stays flat whatever the file size). Every accepted row is
// an unscored `custom` event `{ name: 'imported' }` through the normal ingest path, so a new lead is
// created, enrolled and, if Temporal is down, delivered later by the outbox.
import { type Readable, Transform } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { type IngestContext, ingestEvent, type ProfileInput } from './events.ts';
import { Semaphore } from './limit.ts';

export interface RowIssue {
  /** Line number in the file where the record ends (the header is line 1). */
  row: number;
  field: string;
  message: string;
}

export interface ImportRow {
  email: string;
  profile: ProfileInput;
  sequence?: string;
}

export type RowParser = (
  cells: Record<string, string>,
) => { ok: true; value: ImportRow } | { ok: false; issues: Array<{ field: string; message: string }> };

export interface ImportOptions {
  importId: string;
  /** Known column names; a header naming anything else is refused before any row is read. */
  columns: readonly string[];
  required: readonly string[];
  parseRow: RowParser;
  concurrency?: number;
  maxBytes?: number;
  maxRows?: number;
  /** Rejections listed in the report (all are counted). */
  maxIssues?: number;
  signal?: AbortSignal;
}

export interface ImportReport {
  importId: string;
  accepted: number;
  undelivered: number;
  rejected: RowIssue[];
  rejectedRows: number;
  truncated: boolean;
  complete: boolean;
}

/** The header cannot be used: nothing was imported. `issues` name the columns. */
export class CsvHeaderError extends Error {
  constructor(readonly issues: Array<{ field: string; message: string }>) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

/** The upload went over the byte or row limit; `report` covers what was imported before. */
export class CsvLimitError extends Error {
  constructor(
    message: string,
    readonly report: ImportReport,
  ) {
    super(message);
  }
}

/** "First Name" / "first-name" → "first_name". */
export const normaliseColumn = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(
    chunk: Buffer,
    _enc: BufferEncoding,
    done: (err?: Error | null, data?: Buffer) => void,
  ) {
    this.bytes += chunk.length;
    if (this.bytes > this.max) done(new RangeError(`the file is larger than ${this.max} bytes`));
    else done(null, chunk);
  }
}

export async function importCsv(
  ctx: IngestContext,
  source: Readable,
  opts: ImportOptions,
): Promise<ImportReport> {
  const maxIssues = opts.maxIssues ?? 1_000;
  const maxRows = opts.maxRows ?? 100_000;
  const report: ImportReport = {
    importId: opts.importId,
    accepted: 0,
    undelivered: 0,
    rejected: [],
    rejectedRows: 0,
    truncated: false,
    complete: true,
  };
  const rejectedRows = new Set<number>();
  const reject = (row: number, field: string, message: string) => {
    rejectedRows.add(row);
    if (report.rejected.length < maxIssues) report.rejected.push({ row, field, message });
    else report.truncated = true;
  };

  // Records are queued as the parser produces them (on_record) and consumed from this queue: when
  // a later line is malformed the parser fails at once, but the good records it parsed before the
  // error are still here to import, so nothing before the error is silently dropped.
  const queue: Array<{ record: string[]; row: number }> = [];
  const limiter = new ByteLimit(opts.maxBytes ?? 50 * 1024 * 1024);
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: 64 * 1024,
    on_record: (record: string[], context: { lines: number }) => {
      queue.push({ record, row: context.lines });
      return record;
    },
  });
  // pipe(), not pipeline(): on a refusal the request stream must stay open for the answer.
  let streamError: Error | undefined;
  const fail = (err: Error) => {
    streamError ??= err;
    parser.destroy(err);
  };
  source.on('error', fail);
  limiter.on('error', fail);
  source.pipe(limiter).pipe(parser);
  const detach = () => {
    source.unpipe(limiter);
    source.off('error', fail);
  };

  const slots = new Semaphore(opts.concurrency ?? 8);
  let header: string[] | undefined;
  let dataRows = 0;
  let limitError: string | undefined;

  /** Handles one record; false: stop reading. */
  const consume = async ({ record, row }: { record: string[]; row: number }): Promise<boolean> => {
    if (!header) {
      header = checkHeader(record, opts);
      return true;
    }
    if (++dataRows > maxRows) {
      limitError = `more than ${maxRows} rows`;
      return false;
    }
    if (record.length !== header.length) {
      reject(row, 'row', `expected ${header.length} fields, found ${record.length}`);
      return true;
    }
    const cells: Record<string, string> = {};
    header.forEach((col, i) => {
      const v = record[i] as string;
      if (v !== '') cells[col] = v;
    });
    const parsed = opts.parseRow(cells);
    if (!parsed.ok) {
      for (const issue of parsed.issues) reject(row, issue.field, issue.message);
      return true;
    }
    await slots.start(async () => {
      try {
        const result = await ingestEvent(ctx, {
          email: parsed.value.email,
          profile: parsed.value.profile,
          sequence: parsed.value.sequence,
          type: 'custom',
          channel: 'import',
          properties: { name: 'imported', import: opts.importId },
          clientEventId: `import:${opts.importId}:${row}`,
          scored: false,
        });
        report.accepted++;
        if (!result.delivered && !result.duplicate) report.undelivered++;
      } catch {
        reject(row, 'row', 'not stored: temporarily unavailable, import this row again');
      }
    });
    return true;
  };

  try {
    for await (const _ of parser) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      const next = queue.shift();
      if (next && !(await consume(next))) break;
    }
  } catch (err) {
    if (err instanceof CsvHeaderError) {
      detach();
      throw err;
    }
    if (err instanceof CsvError || err instanceof RangeError || streamError instanceof RangeError) {
      // Import what was parsed before the failure, then report it.
      for (let next = queue.shift(); next && !limitError; next = queue.shift()) {
        try {
          if (!(await consume(next))) break;
        } catch (inner) {
          detach();
          throw inner;
        }
      }
      if (err instanceof CsvError) {
        report.complete = false;
        const line = typeof err.lines === 'number' ? err.lines : 0;
        reject(line, 'row', `malformed CSV (${err.code}); the rows after it were not read`);
      } else {
        limitError ??= ((streamError ?? err) as Error).message;
      }
    } else {
      detach();
      await slots.idle();
      throw err;
    }
  }
  detach();
  await slots.idle();
  if (!header && !limitError && report.complete)
    throw new CsvHeaderError([{ field: 'body', message: 'the file is empty: a header line is required' }]);
  report.rejected.sort((a, b) => a.row - b.row);
  report.rejectedRows = rejectedRows.size;
  if (limitError) {
    report.complete = false;
    throw new CsvLimitError(limitError, report);
  }
  return report;
}

function checkHeader(record: string[], opts: ImportOptions): string[] {
  const header = record.map(normaliseColumn);
  const issues: Array<{ field: string; message: string }> = [];
  const seen = new Set<string>();
  header.forEach((col, i) => {
    if (!col) issues.push({ field: `columns[${i}]`, message: 'empty column name' });
    else if (!opts.columns.includes(col))
      issues.push({
        field: `columns.${col.slice(0, 64)}`,
        message: `unknown column (known: ${opts.columns.join(', ')})`,
      });
    else if (seen.has(col)) issues.push({ field: `columns.${col}`, message: 'column appears twice' });
    seen.add(col);
  });
  for (const col of opts.required)
    if (!seen.has(col)) issues.push({ field: `columns.${col}`, message: 'required column is missing' });
  if (issues.length) throw new CsvHeaderError(issues);
  return header;
}
