// Prisma Client 7 without a native engine: the pg driver adapter talks to any PostgreSQL wire
// server (real PostgreSQL, or the embedded PGlite served over a socket).
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;

export function createDb(databaseUrl: string, options: { max?: number } = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.max ?? 10 });
  // Generous transaction waits: the embedded PGlite runs one transaction at a time, and a busy
  // worker can queue several (Prisma's 2 s default then fails spuriously).
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 30_000 } });
}
