// Real PostgreSQL for tests. test/support/global-setup.ts provides one server per test run (an
// existing one from TEST_DATABASE_URL, or a throwaway cluster started here); each test file calls
// createTestDatabase() in beforeAll for a fresh, migrated database of its own.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { inject } from 'vitest';
import { applyMigrations } from '../../db/migrate.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** Admin URL (may CREATE DATABASE) of the test PostgreSQL server; null when unavailable. */
    postgresAdminUrl: string | null;
    /** Why there is no server (shown by createTestDatabase); null when there is one. */
    postgresUnavailable: string | null;
  }
}

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-postgres.sh', import.meta.url));

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named database on the run's test server and applies prisma/migrations to it
 * (db/migrate.ts). Call it in beforeAll, and `drop()` in afterAll.
 */
export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) {
    throw new Error(
      `No PostgreSQL server for tests: ${inject('postgresUnavailable') ?? 'global setup did not run'}`,
    );
  }
  const name = `lne_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(adminUrl, name);
  if (opts.migrate ?? true) {
    try {
      await applyMigrations(url);
    } catch (err) {
      await dropDatabase(adminUrl, name).catch(() => {});
      throw err;
    }
  }
  let dropped = false;
  return {
    url,
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await dropDatabase(adminUrl, name);
    },
  };
}

/** The same server and credentials as `url`, another database. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`); // PostgreSQL 13+
    } catch {
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      await client.query(`DROP DATABASE IF EXISTS "${name}"`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Throwaway cluster

export interface ThrowawayPostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres (trust auth, loopback only). */
  url: string;
  port: number;
  dir: string;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Runs the install-if-missing script; returns the directory holding initdb and pg_ctl. */
export async function ensurePostgresInstalled(): Promise<string> {
  const { code, stdout } = await run('bash', [ENSURE_SCRIPT], { stderr: 'inherit', timeoutMs: 15 * 60_000 });
  const bindir = stdout.trim().split('\n').pop()?.trim() ?? '';
  if (code !== 0 || !bindir) {
    throw new Error(
      `PostgreSQL server binaries are missing and were not installed (${ENSURE_SCRIPT} exited ${code}; ` +
        'its messages are above). Install them, e.g. `sudo apt-get install -y postgresql`, or set ' +
        'TEST_DATABASE_URL to an existing server.',
    );
  }
  return bindir;
}

/**
 * initdb + pg_ctl start in a fresh temporary directory, on a free port of 127.0.0.1, trust auth,
 * durability off (fsync etc.) for speed. As root the server runs as the `postgres` OS user (it
 * refuses to run as root), otherwise as the current user.
 */
export async function startThrowawayPostgres(
  opts: { bindir?: string; log?: (msg: string) => void } = {},
): Promise<ThrowawayPostgres> {
  const bindir = opts.bindir ?? (await ensurePostgresInstalled());
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = mkdtempSync(join(tempBase(runAs), 'lne-pg-'));
  const dataDir = join(dir, 'data');
  let started = false;
  const stopSync = () => {
    if (started) {
      spawnSync(join(bindir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], {
        stdio: 'ignore',
        ...runAs,
      });
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // If the process dies without teardown, do not leave a server behind.
  process.once('exit', stopSync);
  try {
    if (runAs) chownSync(dir, runAs.uid, runAs.gid);
    chmodSync(dir, 0o700);
    const env = { ...process.env, LC_ALL: 'C', LANG: 'C', HOME: dir, ...(runAs ? { USER: 'postgres' } : {}) };
    const initdb = await run(
      join(bindir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
      { runAs, env, timeoutMs: 120_000 },
    );
    if (initdb.code !== 0)
      throw new Error(`initdb failed (exit ${initdb.code}):\n${initdb.stdout}${initdb.stderr}`);
    await appendFile(
      join(dataDir, 'postgresql.conf'),
      [
        '',
        '# test settings (test/support/postgres.ts)',
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'max_connections = 200',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        "log_min_messages = 'warning'",
        '',
      ].join('\n'),
    );
    await writeFile(join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    const logFile = join(dir, 'postgres.log');
    let lastError = '';
    for (let attempt = 1; attempt <= 3 && !started; attempt++) {
      const port = await freePort();
      const res = await run(
        join(bindir, 'pg_ctl'),
        ['-D', dataDir, '-l', logFile, '-o', `-p ${port}`, '-w', '-t', '60', 'start'],
        { runAs, env, timeoutMs: 90_000 },
      );
      if (res.code === 0) {
        started = true;
        const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
        opts.log?.(`PostgreSQL (${bindir}) listening on 127.0.0.1:${port}, data in ${dataDir}`);
        let stopping: Promise<void> | undefined;
        return {
          url,
          port,
          dir,
          stop() {
            stopping ??= (async () => {
              process.removeListener('exit', stopSync);
              await run(join(bindir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], {
                runAs,
                env,
                timeoutMs: 60_000,
              });
              started = false;
              rmSync(dir, { recursive: true, force: true });
            })();
            return stopping;
          },
        };
      }
      const log = await readFile(logFile, 'utf8').catch(() => '');
      lastError = `pg_ctl start failed (exit ${res.code}):\n${res.stdout}${res.stderr}\n${log.slice(-2000)}`;
    }
    throw new Error(lastError);
  } catch (err) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw err;
  }
}

function postgresUser(): RunAs {
  const res = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gidRes = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  const uid = Number.parseInt(res.stdout, 10);
  const gid = Number.parseInt(gidRes.stdout, 10);
  if (res.status !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(
      'Running as root, and PostgreSQL refuses to run as root, but there is no `postgres` OS user to ' +
        'run it as. Debian/Ubuntu create it with the package (apt-get install -y postgresql); ' +
        'otherwise: useradd --system --create-home postgres',
    );
  }
  return { uid, gid };
}

/** A temp base the server's user can reach (root's TMPDIR may be private). */
function tempBase(runAs: RunAs | undefined): string {
  const base = process.env.PG_TEST_TMPDIR ?? tmpdir();
  if (!runAs) return base;
  try {
    // others need search (x) permission on the base for the postgres user to reach its dir.
    if ((statSync(base).mode & 0o001) !== 0) return base;
  } catch {}
  return '/tmp';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(
  cmd: string,
  args: string[],
  opts: { runAs?: RunAs; env?: NodeJS.ProcessEnv; stderr?: 'inherit' | 'pipe'; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', opts.stderr ?? 'pipe'],
      env: opts.env ?? process.env,
      ...(opts.runAs ? { uid: opts.runAs.uid, gid: opts.runAs.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
