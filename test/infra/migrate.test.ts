import { readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client.ts';
import {
  applyMigrations,
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  migrationStatus,
  prismaChecksum,
  readMigrations,
} from '../../db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const INIT = '20261125000000_init';
/** Every migration committed in prisma/migrations, in the order they apply. */
const ALL = readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A copy of prisma/migrations that a test may change. */
async function copyMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lne-migrations-'));
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('db/migrate.ts on a real PostgreSQL', () => {
  const databases: TestDatabase[] = [];
  const tempDirs: string[] = [];
  const fresh = async () => {
    const db = await createTestDatabase({ migrate: false });
    databases.push(db);
    return db;
  };
  const tempMigrations = async () => {
    const dir = await copyMigrations();
    tempDirs.push(dir);
    return dir;
  };

  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('applies the committed migrations to a fresh database and records them as Prisma does', async () => {
    const db = await fresh();
    const logs: string[] = [];
    const result = await applyMigrations(db.url, { log: (m) => logs.push(m) });
    expect(result).toEqual({ applied: ALL, skipped: [] });
    expect(logs.join('\n')).toContain(`Applying migration ${INIT}`);

    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    // Every table of the Prisma schema exists (later migrations may add more).
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        '_prisma_migrations',
        'api_keys',
        'engagement_events',
        'handoffs',
        'leads',
        'messages',
        'stage_transitions',
        'suppressions',
      ]),
    );

    const sql = await readFile(join(DEFAULT_MIGRATIONS_DIR, INIT, 'migration.sql'), 'utf8');
    const rows = await query(db.url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(rows).toHaveLength(ALL.length);
    const row = rows[0] as Record<string, unknown>;
    expect(row.migration_name).toBe(INIT);
    expect(row.checksum).toBe(prismaChecksum(sql));
    expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.started_at).toBeInstanceOf(Date);
    expect(row.applied_steps_count).toBe(1);
    expect(row.logs).toBeNull();
    expect(row.rolled_back_at).toBeNull();

    // Prisma's table definition, column by column.
    const columns = await query(
      db.url,
      `SELECT column_name, data_type, character_maximum_length, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        character_maximum_length: 36,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        character_maximum_length: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        character_maximum_length: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'logs',
        data_type: 'text',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        character_maximum_length: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        character_maximum_length: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);

    const status = await migrationStatus(db.url);
    expect(status).toMatchObject({ applied: ALL, pending: [], failed: [], modified: [], upToDate: true });
  });

  it('is idempotent: a second run applies nothing', async () => {
    const db = await fresh();
    await applyMigrations(db.url);
    const second = await applyMigrations(db.url);
    expect(second).toEqual({ applied: [], skipped: ALL });
    const rows = await query(db.url, 'SELECT migration_name FROM _prisma_migrations');
    expect(rows).toHaveLength(ALL.length);
  });

  it('is safe when several processes start at once (advisory lock)', async () => {
    const db = await fresh();
    const results = await Promise.all([1, 2, 3, 4].map(() => applyMigrations(db.url)));
    expect(results.flatMap((r) => r.applied)).toEqual(ALL);
    const rows = await query(db.url, 'SELECT migration_name FROM _prisma_migrations');
    expect(rows).toHaveLength(ALL.length);
  });

  it('reports pending migrations before applying, and applies only new ones later', async () => {
    const db = await fresh();
    const dir = await tempMigrations();
    expect(await migrationStatus(db.url, { dir })).toMatchObject({
      hasMigrationsTable: false,
      applied: [],
      pending: ALL,
      upToDate: false,
    });
    await applyMigrations(db.url, { dir });
    // A later migration with a $$ body full of semicolons: the file must run as one query.
    const name = '20261201000000_touch_function';
    await mkdir(join(dir, name));
    await writeFile(
      join(dir, name, 'migration.sql'),
      `CREATE FUNCTION lne_touch(x integer) RETURNS integer AS $$
BEGIN
  x := x + 1;
  RETURN x;
END;
$$ LANGUAGE plpgsql;
`,
    );
    expect((await migrationStatus(db.url, { dir })).pending).toEqual([name]);
    expect(await applyMigrations(db.url, { dir })).toEqual({ applied: [name], skipped: ALL });
    expect(await query(db.url, 'SELECT lne_touch(41) AS v')).toEqual([{ v: 42 }]);
  });

  it('refuses to run when an applied migration was changed on disk, naming it', async () => {
    const db = await fresh();
    const dir = await tempMigrations();
    await applyMigrations(db.url, { dir });
    const file = join(dir, INIT, 'migration.sql');
    const original = await readFile(file, 'utf8');

    // Line endings only (git autocrlf): accepted, as Prisma does.
    await writeFile(file, original.replace(/\n/g, '\r\n'));
    expect(await applyMigrations(db.url, { dir })).toEqual({ applied: [], skipped: ALL });

    await writeFile(file, `${original}\n-- edited after the fact\n`);
    const error = await applyMigrations(db.url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('CHECKSUM_MISMATCH');
    expect((error as MigrationError).migration).toBe(INIT);
    expect((error as Error).message).toContain(INIT);
    expect((error as Error).message).toMatch(/modified after it was applied/);
    expect((await migrationStatus(db.url, { dir })).modified).toEqual([INIT]);
  });

  it('rolls a failing migration back completely and records nothing', async () => {
    const db = await fresh();
    const dir = await tempMigrations();
    const name = '20261202000000_broken';
    await mkdir(join(dir, name));
    await writeFile(
      join(dir, name, 'migration.sql'),
      'CREATE TABLE half_done (id integer);\nSELECT * FROM no_such_table;\n',
    );
    const error = await applyMigrations(db.url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('MIGRATION_FAILED');
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain('no_such_table');
    // The init migration before it did apply; the broken one left no trace.
    const rows = await query<{ migration_name: string }>(
      db.url,
      'SELECT migration_name FROM _prisma_migrations',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(ALL);
    expect(await query(db.url, `SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
  });

  it('refuses to run after a migration failed in an earlier run (finished_at null)', async () => {
    const db = await fresh();
    const dir = await tempMigrations();
    await applyMigrations(db.url, { dir });
    // What `prisma migrate deploy` leaves behind when a migration fails.
    const name = '20261203000000_failed_elsewhere';
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'migration.sql'), 'SELECT 1;\n');
    await query(
      db.url,
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
       VALUES (gen_random_uuid()::text, $1, $2, 'boom', now(), 0)`,
      [prismaChecksum('SELECT 1;\n'), name],
    );
    const error = await applyMigrations(db.url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('FAILED_MIGRATION');
    expect((error as Error).message).toContain(name);
    expect((await migrationStatus(db.url, { dir })).failed).toEqual([name]);

    // Once resolved as rolled back (prisma migrate resolve --rolled-back), it is applied normally.
    await query(db.url, 'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1', [
      name,
    ]);
    expect(await applyMigrations(db.url, { dir })).toEqual({ applied: [name], skipped: ALL });
  });

  it('reads migrations in name order with Prisma checksums', async () => {
    const files = await readMigrations();
    expect(files.map((f) => f.name)).toEqual(ALL);
    expect(files[0]?.checksum).toBe(prismaChecksum(files[0]?.sql ?? ''));
  });
});

describe('generated Prisma client on the migrated database', () => {
  let database: TestDatabase;
  let db: ReturnType<typeof createDb>;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await database?.drop();
  });

  it('creates and reads a Lead', async () => {
    const created = await db.lead.create({
      data: { email: 'ada@example.com', firstName: 'Ada', profile: { plan: 'pro' } },
    });
    expect(created.stage).toBe('subscriber');
    const found = await db.lead.findUnique({ where: { email: 'ada@example.com' } });
    expect(found).toMatchObject({ id: created.id, firstName: 'Ada', profile: { plan: 'pro' }, scoreFit: 0 });
  });

  it('reports a duplicate email as P2002', async () => {
    await db.lead.create({ data: { email: 'dup@example.com' } });
    const error = await db.lead.create({ data: { email: 'dup@example.com' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'P2002' });
  });
});
