// Applies the committed Prisma migrations (prisma/migrations/<name>/migration.sql) without Prisma's
// native schema engine, which cannot be downloaded offline. The bookkeeping is Prisma's own: the
// `_prisma_migrations` table with Prisma's DDL and checksum (SHA-256 hex of migration.sql), so
// `prisma migrate deploy` / `prisma migrate status` keep working on the same database.
//
// Behaviour, per run:
// - takes Prisma Migrate's own session advisory lock (72707369), so two of our processes, or ours
//   and `prisma migrate deploy`, never apply migrations at the same time;
// - creates `_prisma_migrations` if missing (exact DDL of Prisma's schema engine for PostgreSQL);
// - refuses to start if a migration failed earlier (finished_at null, not rolled back) or if an
//   applied migration's migration.sql changed on disk (checksum; CRLF/LF differences tolerated as
//   Prisma does);
// - applies each pending migration in its own transaction: the whole file as one simple-protocol
//   query (never split on `;`, so `$$` bodies work), then records it (checksum, finished_at,
//   applied_steps_count = 1) in the same transaction. A failing migration rolls back completely and
//   leaves no row, so a fixed file can simply be re-run.
// Like Prisma, a migration runs inside a transaction: statements that cannot (e.g. CREATE INDEX
// CONCURRENTLY) are not supported. Tables go to the connection's search_path (default `public`).
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The lock id Prisma Migrate uses for `pg_advisory_lock` (schema-engine, postgres flavour). */
export const PRISMA_MIGRATE_ADVISORY_LOCK = 72707369;

export const MIGRATIONS_TABLE = '_prisma_migrations';

/** Verbatim from Prisma's schema engine (sql-schema-connector, flavour/postgres.rs). */
export const PRISMA_MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations/', import.meta.url));

export interface MigrationFile {
  /** Directory name, e.g. `20261125000000_init`; what Prisma stores in migration_name. */
  name: string;
  path: string;
  sql: string;
  checksum: string;
}

export interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

export type MigrationErrorCode =
  | 'CHECKSUM_MISMATCH'
  | 'FAILED_MIGRATION'
  | 'MIGRATION_FAILED'
  | 'LOCK_TIMEOUT'
  | 'WRONG_PROVIDER';

export class MigrationError extends Error {
  readonly code: MigrationErrorCode;
  readonly migration?: string;

  constructor(code: MigrationErrorCode, message: string, migration?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
    this.code = code;
    this.migration = migration;
  }
}

export interface ApplyMigrationsOptions {
  /** Folder holding `<name>/migration.sql`; default: this project's prisma/migrations. */
  dir?: string;
  log?: (msg: string) => void;
  /** How long to wait for another process holding the migration lock; default 60 s. */
  lockTimeoutMs?: number;
}

export interface MigrationStatus {
  /** Applied and present on disk, in order. */
  applied: string[];
  /** On disk, not applied yet, in order. */
  pending: string[];
  /** Started but never finished (finished_at null, not rolled back): needs manual resolution. */
  failed: string[];
  /** Applied, but migration.sql on disk no longer matches the recorded checksum. */
  modified: string[];
  /** Applied in the database but missing from the migrations folder. */
  missingLocally: string[];
  /** False when `_prisma_migrations` does not exist yet. */
  hasMigrationsTable: boolean;
  upToDate: boolean;
}

/** Prisma's checksum: lower-case hex SHA-256 of the migration.sql content. */
export function prismaChecksum(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Prisma's comparison: line endings may differ (git autocrlf), and very old engines stored
 * checksums without zero padding.
 */
export function checksumMatches(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant, 'utf8').digest();
    const rendered =
      checksum.length !== 0 && checksum.length !== 64
        ? Array.from(digest, (byte) => byte.toString(16)).join('')
        : digest.toString('hex');
    return rendered === checksum;
  });
}

/** The migrations on disk, sorted by name (Prisma's order). */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const path = join(dir, name, 'migration.sql');
    const sql = await readFile(path, 'utf8');
    migrations.push({ name, path, sql, checksum: prismaChecksum(sql) });
  }
  return migrations;
}

async function checkProvider(dir: string): Promise<void> {
  const lockFile = join(dir, 'migration_lock.toml');
  if (!existsSync(lockFile)) return;
  const match = /^\s*provider\s*=\s*"([^"]*)"/m.exec(await readFile(lockFile, 'utf8'));
  if (match && match[1] !== 'postgresql') {
    throw new MigrationError(
      'WRONG_PROVIDER',
      `${lockFile} says provider = "${match[1]}"; these migrations are not for PostgreSQL.`,
    );
  }
}

async function hasMigrationsTable(client: pg.ClientBase): Promise<boolean> {
  const res = await client.query<{ exists: boolean }>(
    `SELECT to_regclass('${MIGRATIONS_TABLE}') IS NOT NULL AS "exists"`,
  );
  return res.rows[0]?.exists === true;
}

async function readRows(client: pg.ClientBase): Promise<MigrationRow[]> {
  if (!(await hasMigrationsTable(client))) return [];
  const res = await client.query<MigrationRow>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM ${MIGRATIONS_TABLE} ORDER BY started_at, migration_name`,
  );
  return res.rows;
}

function computeStatus(files: MigrationFile[], rows: MigrationRow[], tableExists: boolean): MigrationStatus {
  // Rows marked rolled back (`prisma migrate resolve --rolled-back`) do not count, as in Prisma.
  const live = rows.filter((row) => row.rolled_back_at === null);
  const finished = new Map<string, MigrationRow>();
  for (const row of live) if (row.finished_at !== null) finished.set(row.migration_name, row);
  const failed = [
    ...new Set(live.filter((row) => row.finished_at === null).map((row) => row.migration_name)),
  ];
  const onDisk = new Set(files.map((file) => file.name));
  const applied: string[] = [];
  const pending: string[] = [];
  const modified: string[] = [];
  for (const file of files) {
    const row = finished.get(file.name);
    if (!row) {
      if (!failed.includes(file.name)) pending.push(file.name);
      continue;
    }
    applied.push(file.name);
    if (!checksumMatches(file.sql, row.checksum)) modified.push(file.name);
  }
  const missingLocally = [...finished.keys()].filter((name) => !onDisk.has(name));
  return {
    applied,
    pending,
    failed,
    modified,
    missingLocally,
    hasMigrationsTable: tableExists,
    upToDate: pending.length === 0 && failed.length === 0 && modified.length === 0,
  };
}

function refuseIfUnsafe(status: MigrationStatus, rows: MigrationRow[], files: MigrationFile[]): void {
  const firstFailed = status.failed[0];
  if (firstFailed !== undefined) {
    const row = rows.find((r) => r.migration_name === firstFailed && r.finished_at === null);
    throw new MigrationError(
      'FAILED_MIGRATION',
      `Migration "${firstFailed}" failed in an earlier run (started ${row?.started_at?.toISOString?.() ?? '?'}, ` +
        `finished_at is null in ${MIGRATIONS_TABLE}) and may be partially applied. Repair the database by hand, ` +
        `then mark it with \`prisma migrate resolve --rolled-back ${firstFailed}\` (or --applied), or delete ` +
        `that row from ${MIGRATIONS_TABLE}; no migration was applied.` +
        (row?.logs ? `\nRecorded logs:\n${row.logs}` : ''),
      firstFailed,
    );
  }
  const firstModified = status.modified[0];
  if (firstModified !== undefined) {
    const file = files.find((f) => f.name === firstModified);
    const row = rows.find((r) => r.migration_name === firstModified && r.finished_at !== null);
    throw new MigrationError(
      'CHECKSUM_MISMATCH',
      `Migration "${firstModified}" was modified after it was applied to this database: ` +
        `${file?.path ?? firstModified} has checksum ${file?.checksum ?? '?'}, ${MIGRATIONS_TABLE} recorded ` +
        `${row?.checksum ?? '?'}. Restore the applied version of the file and put the change in a new ` +
        `migration; no migration was applied.`,
      firstModified,
    );
  }
}

async function acquireLock(client: pg.ClientBase, timeoutMs: number, log?: (msg: string) => void) {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const res = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      PRISMA_MIGRATE_ADVISORY_LOCK,
    ]);
    if (res.rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new MigrationError(
        'LOCK_TIMEOUT',
        `Timed out after ${timeoutMs} ms waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_ADVISORY_LOCK})), ` +
          'held by another process applying migrations to this database.',
      );
    }
    if (!announced) {
      log?.('Another process is applying migrations; waiting for its lock ...');
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function withClient<T>(databaseUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Applies every pending migration; see the file header for the guarantees. */
export async function applyMigrations(
  databaseUrl: string,
  opts: ApplyMigrationsOptions = {},
): Promise<{ applied: string[]; skipped: string[] }> {
  const dir = opts.dir ?? DEFAULT_MIGRATIONS_DIR;
  const log = opts.log;
  await checkProvider(dir);
  const files = await readMigrations(dir);

  return withClient(databaseUrl, async (client) => {
    await acquireLock(client, opts.lockTimeoutMs ?? 60_000, log);
    try {
      if (!(await hasMigrationsTable(client))) {
        await client.query(PRISMA_MIGRATIONS_TABLE_DDL);
        log?.(`Created ${MIGRATIONS_TABLE}`);
      }
      const rows = await readRows(client);
      const status = computeStatus(files, rows, true);
      refuseIfUnsafe(status, rows, files);
      for (const name of status.missingLocally) {
        log?.(`Warning: migration ${name} is recorded in ${MIGRATIONS_TABLE} but missing from ${dir}`);
      }

      const applied: string[] = [];
      const skipped = [...status.applied];
      for (const file of files) {
        if (!status.pending.includes(file.name)) continue;
        const started = Date.now();
        await client.query('BEGIN');
        try {
          // Re-check inside the transaction: servers where the advisory lock does not exclude
          // other connections (PGlite multiplexes every connection onto one session) still apply
          // each migration once, because the socket server serialises transactions.
          const again = await client.query(
            `SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE migration_name = $1 AND rolled_back_at IS NULL AND finished_at IS NOT NULL`,
            [file.name],
          );
          if (again.rowCount) {
            await client.query('ROLLBACK');
            skipped.push(file.name);
            continue;
          }
          log?.(`Applying migration ${file.name}`);
          await client.query(file.sql);
          await client.query(
            `INSERT INTO ${MIGRATIONS_TABLE}
               (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
             VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, now(), 1)`,
            [randomUUID(), file.checksum, file.name],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          const e = err as { message?: string; position?: string };
          throw new MigrationError(
            'MIGRATION_FAILED',
            `Migration "${file.name}" failed and was rolled back (nothing recorded): ${e.message ?? String(err)}` +
              (e.position ? ` (at character ${e.position} of ${file.path})` : ` (${file.path})`),
            file.name,
            { cause: err },
          );
        }
        applied.push(file.name);
        log?.(`Applied migration ${file.name} in ${Date.now() - started} ms`);
      }
      if (applied.length === 0) log?.('No pending migrations: database schema is up to date');
      return { applied, skipped };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_ADVISORY_LOCK]).catch(() => {});
    }
  });
}

/** Read-only comparison of the migrations folder with `_prisma_migrations`. */
export async function migrationStatus(
  databaseUrl: string,
  opts: { dir?: string } = {},
): Promise<MigrationStatus> {
  const files = await readMigrations(opts.dir ?? DEFAULT_MIGRATIONS_DIR);
  return withClient(databaseUrl, async (client) => {
    const tableExists = await hasMigrationsTable(client);
    const rows = tableExists ? await readRows(client) : [];
    return computeStatus(files, rows, tableExists);
  });
}
