import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/client.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../db/embedded.ts';
import { applyMigrations, DEFAULT_MIGRATIONS_DIR, migrationStatus } from '../../db/migrate.ts';

/** Every migration committed in prisma/migrations, in the order they apply. */
const ALL = readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('embedded PostgreSQL (PGlite over the wire protocol)', () => {
  let root: string;
  let dataDir: string;
  let server: EmbeddedPostgres | undefined;
  let db: Db | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lne-pglite-'));
    dataDir = join(root, 'data');
    server = await startEmbeddedPostgres({ dataDir });
  });

  afterAll(async () => {
    await db?.$disconnect();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('serves a URL that pg understands', async () => {
    expect(server?.url).toMatch(
      /^postgresql:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/,
    );
    const client = new pg.Client({ connectionString: server?.url });
    await client.connect();
    const res = await client.query<{ v: string }>('SELECT $1::text || version() AS v', ['pglite: ']);
    await client.end();
    expect(res.rows[0]?.v).toMatch(/^pglite: PostgreSQL/);
  });

  it('applies the migrations, once', async () => {
    const url = server?.url ?? '';
    expect(await applyMigrations(url)).toEqual({ applied: ALL, skipped: [] });
    expect(await applyMigrations(url)).toEqual({ applied: [], skipped: ALL });
    expect((await migrationStatus(url)).upToDate).toBe(true);
  });

  it('runs the generated Prisma client through the socket: CRUD, P2002, transactions', async () => {
    db = createDb(server?.url ?? '');
    const lead = await db.lead.create({ data: { email: 'grace@example.com', company: 'Navy' } });
    expect(await db.lead.findUnique({ where: { id: lead.id } })).toMatchObject({ company: 'Navy' });
    await db.lead.update({ where: { id: lead.id }, data: { stage: 'mql' } });
    expect((await db.lead.findUniqueOrThrow({ where: { id: lead.id } })).stage).toBe('mql');
    await expect(db.lead.create({ data: { email: 'grace@example.com' } })).rejects.toMatchObject({
      code: 'P2002',
    });

    // Interactive transactions, committed and rolled back.
    await db.$transaction(async (tx) => {
      const l = await tx.lead.create({ data: { email: 'tx-ok@example.com' } });
      await tx.stageTransition.create({
        data: {
          leadId: l.id,
          fromStage: 'subscriber',
          toStage: 'lead',
          reason: 'test',
          actor: 'test',
          transitionKey: 'k1',
        },
      });
    });
    await expect(
      db.$transaction(async (tx) => {
        await tx.lead.create({ data: { email: 'tx-rolled-back@example.com' } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.lead.count({ where: { email: { startsWith: 'tx-' } } })).toBe(1);
    await db.lead.delete({ where: { email: 'tx-ok@example.com' } });
  });

  it('keeps concurrent clients apart (pool of 10, large parameters, transactions)', async () => {
    // Large parameters arrive in several TCP reads: the stock socket server interleaved other
    // connections' messages into such a batch (see db/embedded.ts).
    const client = db ?? createDb(server?.url ?? '');
    const big = 'x'.repeat(300_000);
    const work = Array.from({ length: 60 }, async (_, i) => {
      if (i % 3 === 0) {
        const lead = await client.lead.create({
          data: { email: `big${i}@example.com`, profile: { blob: big + i } },
        });
        const back = await client.lead.findUniqueOrThrow({ where: { id: lead.id } });
        expect((back.profile as { blob: string }).blob).toBe(big + i);
      } else if (i % 3 === 1) {
        const rows = await client.$queryRaw<
          { v: number; k: string }[]
        >`SELECT ${i}::int AS v, ${`k${i}`}::text AS k`;
        expect(rows[0]).toEqual({ v: i, k: `k${i}` });
      } else {
        await client.$transaction(async (tx) => {
          const l = await tx.lead.create({ data: { email: `c${i}@example.com` } });
          await tx.lead.update({ where: { id: l.id }, data: { scoreFit: i } });
        });
      }
    });
    await Promise.all(work);
    expect(await client.lead.count({ where: { email: { startsWith: 'big' } } })).toBe(20);
    expect(await client.lead.count({ where: { email: { startsWith: 'c' } } })).toBe(20);
  });

  it('refuses a second start on a data directory in use', async () => {
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/already open in this process/);
    // Another live process's lock file.
    const other = join(root, 'other');
    await mkdir(other);
    await writeFile(join(other, 'embedded-postgres.pid'), `${process.ppid}\n`);
    await expect(startEmbeddedPostgres({ dataDir: other })).rejects.toThrow(/in use by process/);
  });

  it('keeps the data across stop and start on the same directory', async () => {
    await db?.$disconnect();
    db = undefined;
    await server?.stop();
    server = await startEmbeddedPostgres({ dataDir });
    expect(await applyMigrations(server.url)).toEqual({ applied: [], skipped: ALL });
    db = createDb(server.url);
    const lead = await db.lead.findUnique({ where: { email: 'grace@example.com' } });
    expect(lead).toMatchObject({ company: 'Navy', stage: 'mql' });
  });
});
