// Group commit of "delivered" marks on real PostgreSQL: concurrent marks share UPDATE statements,
// every caller waits for its own row, an idle mark goes out at once, and a failed UPDATE fails
// exactly the marks it carried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/client.ts';
import { createDeliveredMarker } from '../../ingest/delivered.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function storedEvents(n: number): Promise<string[]> {
  const lead = await db.lead.create({ data: { email: `marker-${Math.random()}@marker.test` } });
  const rows = await Promise.all(
    Array.from({ length: n }, () =>
      db.engagementEvent.create({ data: { leadId: lead.id, type: 'page_view', occurredAt: new Date() } }),
    ),
  );
  return rows.map((r) => r.id);
}

/** The real client, with its UPDATE statements counted (and optionally failing). */
function counted(fail?: () => boolean) {
  const statements: number[] = [];
  const proxy = {
    engagementEvent: {
      updateMany: (args: { where: { id: { in: string[] } } }) => {
        statements.push(args.where.id.in.length);
        if (fail?.()) return Promise.reject(new Error('database unavailable'));
        return db.engagementEvent.updateMany(args as never);
      },
    },
  } as unknown as Db;
  return { proxy, statements };
}

const undelivered = (ids: string[]) =>
  db.engagementEvent.count({ where: { id: { in: ids }, deliveredAt: null } });

describe('delivered marks', () => {
  it('batch concurrent marks into few statements; each caller resolves once its row is marked', async () => {
    const ids = await storedEvents(200);
    const { proxy, statements } = counted();
    const marker = createDeliveredMarker(proxy);
    await Promise.all(ids.map((id) => marker.mark(id)));
    expect(await undelivered(ids)).toBe(0);
    expect(statements.reduce((a, b) => a + b, 0)).toBe(200);
    // The first mark goes alone (nothing was in flight); the rest wait for it and go together.
    expect(statements[0]).toBe(1);
    expect(statements.length).toBeLessThanOrEqual(3);
  });

  it('sends an idle mark at once, and fails only the marks of a failed statement', async () => {
    const [first, ...rest] = await storedEvents(5);
    let failNext = false;
    const { proxy, statements } = counted(() => failNext);
    const marker = createDeliveredMarker(proxy);
    await marker.mark(first as string);
    expect(statements).toEqual([1]);

    failNext = true;
    const failing = rest.map((id) =>
      marker.mark(id).then(
        () => 'ok',
        (err: Error) => err.message,
      ),
    );
    expect(await Promise.all(failing)).toEqual(Array(rest.length).fill('database unavailable'));
    expect(await undelivered(rest)).toBe(rest.length); // left for the outbox

    failNext = false;
    await Promise.all(rest.map((id) => marker.mark(id)));
    expect(await undelivered(rest)).toBe(0);
  });

  it('survives a statement that throws before it starts (the next marks still go out)', async () => {
    const [a, b] = await storedEvents(2);
    let throwNow = true;
    const proxy = {
      engagementEvent: {
        updateMany: (args: never) => {
          if (throwNow) {
            throwNow = false;
            throw new Error('pool closed');
          }
          return db.engagementEvent.updateMany(args);
        },
      },
    } as unknown as Db;
    const marker = createDeliveredMarker(proxy);
    await expect(marker.mark(a as string)).rejects.toThrow('pool closed');
    await marker.mark(b as string);
    expect(await undelivered([b as string])).toBe(0);
  });
});
