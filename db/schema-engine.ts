// Authoring and checking migrations offline with Prisma's WebAssembly schema engine
// (@prisma/schema-engine-wasm) driven through the pg driver adapter, since the Prisma CLI insists on a
// native engine downloaded from the internet. Used by `cli migrations create|check` and the drift
// test; applying migrations stays with db/migrate.ts (no engine needed).
//
// What it does: replays prisma/migrations on a shadow database (created and dropped on the given
// server) and diffs that against prisma/schema.prisma: the SQL that is missing, or nothing.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { DEFAULT_MIGRATIONS_DIR, readMigrations } from './migrate.ts';

export const DEFAULT_SCHEMA_PATH = join(DEFAULT_MIGRATIONS_DIR, '..', 'schema.prisma');

type Engine = {
  diff(params: unknown): Promise<{ exitCode: number; stdout?: string | null }>;
  free(): void;
};

interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}

let engineModule: Promise<{ SchemaEngine: { new: (...args: unknown[]) => Promise<Engine> } }> | undefined;

/** The engine ships as a bundler-style wasm import; instantiate it by hand for Node. */
function loadEngineModule() {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    const bg = (await import(join(dir, 'schema_engine_bg.js'))) as Record<string, unknown> & {
      __wbg_set_wasm(exports: unknown): void;
      SchemaEngine: { new: (...args: unknown[]) => Promise<Engine> };
    };
    // Typed locally: the project's TypeScript libs (ES2023, no DOM) do not declare WebAssembly.
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { instance } = await wasm.instantiate(readFileSync(join(dir, 'schema_engine_bg.wasm')), {
      './schema_engine_bg.js': bg,
    });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    // The engine reports panics through this global.
    (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY ??= { set_message() {} };
    return bg;
  })();
  return engineModule;
}

/**
 * The pg adapter, with PostgreSQL's one-byte "char" (OID 18, used by the catalog queries the engine
 * runs) reported as text: adapter-pg has no mapping for it and the introspection fails without.
 */
function adapterFactory(url: string) {
  const pg = new PrismaPg({ connectionString: url }, {});
  const charAsText = <T>(adapter: T): T => {
    const io = (adapter as { performIO: (...a: unknown[]) => Promise<{ fields?: { dataTypeID: number }[] }> })
      .performIO;
    (adapter as { performIO: unknown }).performIO = async (...args: unknown[]) => {
      const result = await io.apply(adapter, args);
      for (const field of result.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
      return result;
    };
    return adapter;
  };
  return bindMigrationAwareSqlAdapterFactory({
    provider: 'postgres',
    adapterName: pg.adapterName,
    connect: async () => charAsText(await pg.connect()),
    connectToShadowDb: () => shadowDatabase(url, charAsText),
  } as unknown as Parameters<typeof bindMigrationAwareSqlAdapterFactory>[0]);
}

type Adapter = { executeScript(sql: string): Promise<void>; dispose(): Promise<void> };

/**
 * A fresh database next to `url`'s for the engine to replay migrations in, dropped on dispose.
 * Not adapter-pg's own: its shadow pool keeps the connection string, whose database wins over the
 * shadow's name, so the migrations would run in the real database.
 */
async function shadowDatabase(url: string, wrap: <T>(a: T) => T): Promise<Adapter> {
  const main = (await new PrismaPg({ connectionString: url }, {}).connect()) as unknown as Adapter;
  const name = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '')}`;
  const drop = async () => {
    try {
      await main.executeScript(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await main.dispose();
    }
  };
  let shadow: Adapter;
  try {
    await main.executeScript(`CREATE DATABASE "${name}"`);
    const shadowUrl = new URL(url);
    shadowUrl.pathname = `/${name}`;
    const factory = new PrismaPg({ connectionString: shadowUrl.toString() }, {});
    shadow = wrap((await factory.connect()) as unknown as Adapter);
  } catch (err) {
    await drop().catch(() => {}); // leave no shadow database (or connection) behind
    throw err;
  }
  const release = shadow.dispose.bind(shadow);
  shadow.dispose = async () => {
    await release();
    await drop();
  };
  return shadow;
}

export interface PendingMigration {
  /** SQL that brings a database at the last committed migration to the schema; '' when none. */
  sql: string;
}

/**
 * Diffs committed migrations (replayed on a shadow database on `url`'s server, which must allow
 * CREATE DATABASE) against the schema file.
 */
export async function pendingMigration(
  url: string,
  opts: { schemaPath?: string; migrationsDir?: string } = {},
): Promise<PendingMigration> {
  const schemaPath = opts.schemaPath ?? DEFAULT_SCHEMA_PATH;
  const migrationsDir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const schema = readFileSync(schemaPath, 'utf8');
  const migrations = await readMigrations(migrationsDir);
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  const { SchemaEngine } = await loadEngineModule();
  const engine = await SchemaEngine.new(
    { datamodels: [['schema.prisma', schema]] },
    () => {},
    adapterFactory(url),
  );
  try {
    const result = await engine.diff({
      from: {
        tag: 'migrations',
        baseDir: migrationsDir,
        lockfile: {
          path: 'migration_lock.toml',
          content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null,
        },
        shadowDbInitScript: '',
        migrationDirectories: migrations.map((m) => ({
          path: m.name,
          migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
        })),
      },
      to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] },
      script: true,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    // Like `prisma migrate diff --exit-code`: 0 nothing to do, 2 a non-empty diff; anything else is
    // a failure that must not read as "they agree".
    if (result.exitCode === 0) return { sql: '' };
    if (result.exitCode === 2) return { sql: (result.stdout ?? '').trim() };
    throw new Error(`schema engine diff failed (exit ${result.exitCode}): ${result.stdout ?? ''}`);
  } finally {
    engine.free();
  }
}

/** A migration directory name in Prisma's format: `<UTC yyyymmddhhmmss>_<snake_case name>`. */
export function migrationName(name: string, now = new Date()): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new Error('name: use letters or digits, e.g. "add_lead_source"');
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}_${slug}`;
}
