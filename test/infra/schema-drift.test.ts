// The committed migrations must build exactly what prisma/schema.prisma describes (hand-written SQL
// can drift from the schema without any other test noticing), checked offline with the WebAssembly
// schema engine on the test PostgreSQL server. And authoring: a schema change yields the migration
// that makes it, which our runner applies, after which schema and migrations agree again.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR } from '../../db/migrate.ts';
import { DEFAULT_SCHEMA_PATH, migrationName, pendingMigration } from '../../db/schema-engine.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const adminUrl = () => inject('postgresAdminUrl') as string;
const work = mkdtempSync(join(tmpdir(), 'lne-drift-'));
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await database?.drop();
  rmSync(work, { recursive: true, force: true });
});

async function shadowDatabasesLeft(): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'",
    );
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

describe('schema and migrations', () => {
  it('agree: the committed migrations build exactly schema.prisma', async () => {
    // The URL names the server; its own database is never written (it is still empty after).
    expect(await pendingMigration(database.url)).toEqual({ sql: '' });
    expect(await shadowDatabasesLeft()).toBe(0);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
    );
    await client.end();
    expect(rows[0].n).toBe(0);
  });

  it('turn a schema change into a migration our runner applies, after which they agree again', async () => {
    const migrations = join(work, 'migrations');
    cpSync(DEFAULT_MIGRATIONS_DIR, migrations, { recursive: true });
    const schemaPath = join(work, 'schema.prisma');
    const schema = readFileSync(DEFAULT_SCHEMA_PATH, 'utf8').replace(
      '  owner           String?',
      '  owner           String?\n  source          String?   @default("web")',
    );
    expect(schema).toContain('source ');
    writeFileSync(schemaPath, schema);

    const { sql } = await pendingMigration(adminUrl(), { schemaPath, migrationsDir: migrations });
    expect(sql).toMatch(/ALTER TABLE "leads" ADD COLUMN\s+"source" TEXT DEFAULT 'web'/);

    const name = migrationName('Add lead source!', new Date(Date.UTC(2026, 11, 1, 9, 30, 0)));
    expect(name).toBe('20261201093000_add_lead_source');
    const dir = join(migrations, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'migration.sql'), `${sql}\n`);

    const applied = await applyMigrations(database.url, { dir: migrations });
    expect(applied.applied).toContain(name);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const cols = await client.query(
      "SELECT column_default FROM information_schema.columns WHERE table_name = 'leads' AND column_name = 'source'",
    );
    await client.end();
    expect(cols.rows[0]?.column_default).toContain("'web'");

    expect(await pendingMigration(adminUrl(), { schemaPath, migrationsDir: migrations })).toEqual({
      sql: '',
    });
    expect(await shadowDatabasesLeft()).toBe(0);
  });

  it('answers `migrations check` from the command line: 0 when they agree', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', 'migrations', 'check'],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: adminUrl() },
      },
    );
    expect(stdout).toContain('agree');
    expect(readdirSync(DEFAULT_MIGRATIONS_DIR).some((d) => d.includes('add_lead_source'))).toBe(false);
  });
});
