// `npm run cli -- scoring backtest <candidate>` as a marketer runs it: a candidate model in its own
// TypeScript file, the recorded history in PostgreSQL, the report on stdout. Erased leads and
// leads without events are not replayed; an invalid model is refused naming the field.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/client.ts';
import { defaultScoringModel } from '../../domain/scoring/index.ts';
import { backtestDatabase, loadModelFile } from '../../operations/backtest-models.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'lne-backtest-'));
let database: TestDatabase;
let db: Db;
const ids: Record<string, string> = {};

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
  const day = 86_400_000;
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day);
  const lead = async (
    key: string,
    email: string,
    events: { type: string; daysAgo: number }[],
    erased = false,
  ) => {
    const row = await db.lead.create({
      data: { email: erased ? null : email, firstName: key, erasedAt: erased ? new Date() : null },
    });
    ids[key] = row.id;
    for (const e of events)
      await db.engagementEvent.create({ data: { leadId: row.id, type: e.type, occurredAt: at(e.daysAgo) } });
  };
  await lead('raiser', 'raiser@bt-corp.test', [{ type: 'demo_request', daysAgo: 3 }]);
  await lead('reader', 'reader@bt-corp.test', [{ type: 'page_view', daysAgo: 2 }]);
  await lead('erased', 'erased@bt-corp.test', [{ type: 'page_view', daysAgo: 2 }], true);
  await lead('silent', 'silent@bt-corp.test', []);
  await lead('old', 'old@bt-corp.test', [{ type: 'page_view', daysAgo: 400 }]);

  const header = `import { defaultScoringModel as base } from '${join(ROOT, 'domain/scoring/index.ts')}';\n`;
  // Every lead with history is an MQL at once under this (absurd) candidate.
  writeFileSync(
    join(dir, 'eager.ts'),
    `${header}export default { ...base, version: base.version + 1, thresholds: { ...base.thresholds, mql: { fit: 0, engagement: 0, intent: 0 } } };\n`,
  );
  writeFileSync(
    join(dir, 'broken.ts'),
    `${header}export const model = { ...base, thresholds: { mql: { fit: -1, engagement: 0, intent: 0 } } };\n`,
  );
}, 120_000);
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'scoring', 'backtest', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url },
  });

/** A row of the printed summary table: `│ MQL under A │ 1 │` (or `'0 / 0'`). */
const figure = (out: string, label: string) =>
  new RegExp(`│ ${label}\\s*│\\s*'?([^'│]*?)'?\\s*│`).exec(out)?.[1];

describe('scoring backtest from the command line', () => {
  it('replays the recorded history through both models and names the leads that change', async () => {
    const { stdout } = await cli(join(dir, 'eager.ts'), '--since', '90d');
    expect(stdout).toMatch(/A = default@\d+, B = default@\d+/);
    // raiser and reader; not the erased lead, the lead without events, or history older than 90 days.
    expect(figure(stdout, 'leads replayed')).toBe('2');
    expect(figure(stdout, 'MQL under A')).toBe('1'); // the hand-raiser
    expect(figure(stdout, 'MQL under B')).toBe('2');
    expect(figure(stdout, 'MQL only under B')).toBe('1');
    expect(stdout).toContain(`lead ${ids.reader}: first MQL: never →`);
    expect(stdout).not.toContain('bt-corp.test'); // ids, never addresses

    const all = await cli(join(dir, 'eager.ts'));
    expect(figure(all.stdout, 'leads replayed')).toBe('3'); // now the 400-day-old history too
  });

  it('refuses an invalid candidate naming the file and the field, and a bad --since', async () => {
    const broken = await cli(join(dir, 'broken.ts')).then(
      () => '',
      (err: { stderr: string; code: number }) => `${err.code}: ${err.stderr}`,
    );
    expect(broken).toMatch(/^1: .*broken\.ts: .*thresholds\.mql\.fit/s);
    const since = await cli(join(dir, 'eager.ts'), '--since', 'soon').then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(since).toContain('--since');
  });

  it('pages through leads without changing the result', async () => {
    const candidate = await loadModelFile(join(dir, 'eager.ts'));
    const whole = await backtestDatabase(db, defaultScoringModel, candidate, { pageSize: 500 });
    const paged = await backtestDatabase(db, defaultScoringModel, candidate, { pageSize: 1 });
    expect(paged.summary).toEqual(whole.summary);
    expect(paged.summary.leads).toBe(3);
    expect(paged.changed.map((c) => c.leadId).sort()).toEqual(whole.changed.map((c) => c.leadId).sort());
  });
});
