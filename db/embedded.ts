// Embedded PostgreSQL for the quick start: PGlite (PostgreSQL compiled to WebAssembly, in this
// process) persisted in a data directory and served over the PostgreSQL wire protocol by
// @electric-sql/pglite-socket, so `pg`, `@prisma/adapter-pg` (db/client.ts) and db/migrate.ts use
// it exactly like a real server.
//
// PGlite is ONE backend session. What that means through the socket server (measured with
// pglite-socket 0.2.17 / pglite 0.5.14):
// - The server multiplexes several client connections onto that session (its `maxConnections`
//   defaults to 1; beyond the limit it drops the connection, which `pg` reports as "Connection
//   terminated unexpectedly"). We raise the limit (default 64) so ordinary pools (createDb's
//   max 10, several pools in one process, reconnects racing a close) just work.
// - Its queue runs one protocol message at a time, and while an explicit transaction is open it
//   only runs messages from the connection that owns it, so transactions are serialised (no
//   concurrency, but correct). Consequence: a transaction that waits on a query sent through
//   ANOTHER connection deadlocks, as it would with a pool of 1.
// - Stock 0.2.17 bug we guard against: outside explicit transactions it may interleave messages of
//   two connections' extended-protocol batches (Parse/Bind/Execute ... Sync) when a batch arrives
//   in several TCP reads (large parameters), so one client's Bind hits another's statement
//   ("bind message supplies 2 parameters, but prepared statement "" requires 1", or worse, silently
//   wrong statements). `guardBatches` below makes the queue treat an open batch like an open
//   transaction, which removed the failures in our stress test (test/infra/embedded.test.ts).
// - Session state is shared by all connections: SET, advisory locks (re-entrant across
//   connections), temp tables, named prepared statements, LISTEN. COPY FROM STDIN is not guarded.
// - No TLS (the URL says sslmode=disable); any user/password is accepted; only database `postgres`.
// One process may open a data directory at a time: we keep a pid lock file in it.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgresOptions {
  /** Where PGlite keeps its files (created if missing; reused when it already holds a database). */
  dataDir: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /** Concurrent client connections accepted (multiplexed onto PGlite's single session); default 64. */
  maxConnections?: number;
  /** Log every protocol step of the socket server (very verbose). */
  debug?: boolean;
}

export interface EmbeddedPostgres {
  /** postgresql:// URL for pg / @prisma/adapter-pg / db/migrate.ts. */
  url: string;
  port: number;
  host: string;
  dataDir: string;
  /** The PGlite instance, for in-process use (shares the one session with socket clients). */
  db: PGlite;
  /** Stops listening, closes client connections and PGlite, releases the data directory. */
  stop(): Promise<void>;
}

const LOCK_FILE = 'embedded-postgres.pid';
const openDirs = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockDataDir(dataDir: string): Promise<string> {
  const lockPath = join(dataDir, LOCK_FILE);
  if (openDirs.has(dataDir)) {
    throw new Error(`Embedded PostgreSQL: ${dataDir} is already open in this process; stop() it first.`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
      openDirs.add(dataDir);
      return lockPath;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    // Our own pid with the dir not open here is a leftover of a crash (containers reuse pids).
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new Error(
        `Embedded PostgreSQL: ${dataDir} is in use by process ${pid} (${lockPath}). ` +
          'Stop that process first; if it is not using this directory, delete the lock file.',
      );
    }
    await rm(lockPath, { force: true });
  }
  throw new Error(`Embedded PostgreSQL: could not lock ${dataDir} (${lockPath})`);
}

/**
 * Makes the socket server's queue keep an extended-protocol batch (Parse ... Sync) of one
 * connection together, as it already does for explicit transactions. The queue decides with
 * `db.isInTransaction()`; we report true while a batch is open. Methods are bound to the real
 * instance (PGlite uses #private fields).
 */
function guardBatches(db: PGlite): PGlite {
  let batchOpen = false;
  const opensBatch = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'F']);
  const closesBatch = new Set(['S', 'Q', 'X']);
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'isInTransaction') return () => batchOpen || target.isInTransaction();
      if (prop === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          const type = String.fromCharCode(message[0] ?? 0);
          if (opensBatch.has(type)) batchOpen = true;
          else if (closesBatch.has(type)) batchOpen = false;
          return target.execProtocolRawStream(message, options);
        };
      }
      // The server calls exec('ROLLBACK') when the owner of an open transaction disconnects.
      if (prop === 'exec') {
        return (...args: Parameters<PGlite['exec']>) => {
          batchOpen = false;
          return target.exec(...args);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const host = options.host ?? '127.0.0.1';
  await mkdir(dataDir, { recursive: true });
  const lockPath = await lockDataDir(dataDir);

  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  try {
    db = await PGlite.create({ dataDir });
    server = new PGLiteSocketServer({
      db: guardBatches(db),
      port: options.port ?? 0,
      host,
      maxConnections: options.maxConnections ?? 64,
      debug: options.debug ?? false,
    });
    await server.start();
    const port = Number(server.getServerConn().split(':').pop());
    if (!Number.isInteger(port) || port <= 0)
      throw new Error(`unexpected server address ${server.getServerConn()}`);
    let stopped: Promise<void> | undefined;
    const pglite = db;
    const socketServer = server;
    return {
      url: `postgresql://postgres:postgres@${formatHost(host)}:${port}/postgres?sslmode=disable`,
      port,
      host,
      dataDir,
      db: pglite,
      stop() {
        stopped ??= (async () => {
          try {
            await socketServer.stop();
            await pglite.close();
          } finally {
            openDirs.delete(dataDir);
            await rm(lockPath, { force: true });
          }
        })();
        return stopped;
      },
    };
  } catch (err) {
    await server?.stop().catch(() => {});
    await db?.close().catch(() => {});
    openDirs.delete(dataDir);
    await rm(lockPath, { force: true });
    throw err;
  }
}
