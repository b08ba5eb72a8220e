// Vitest global setup (vitest.config.ts): one PostgreSQL server for the whole run.
// - TEST_DATABASE_URL set: use that server (its role must be allowed to CREATE DATABASE).
// - Otherwise: install PostgreSQL if missing (scripts/ensure-postgres.sh; apt-get as root), start a
//   throwaway cluster on a free port in a temp dir, and stop + delete it on teardown.
// Tests get the admin URL through createTestDatabase() (test/support/postgres.ts). If no server can
// be had, the run still starts: tests that need one fail with the reason, the others run.
import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres } from './postgres.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide('postgresAdminUrl', external);
    project.provide('postgresUnavailable', null);
    return async () => {};
  }
  try {
    const server = await startThrowawayPostgres();
    project.provide('postgresAdminUrl', server.url);
    project.provide('postgresUnavailable', null);
    return () => server.stop();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    console.error(`[global-setup] no PostgreSQL for this test run: ${reason}`);
    project.provide('postgresAdminUrl', null);
    project.provide('postgresUnavailable', reason);
    return async () => {};
  }
}
