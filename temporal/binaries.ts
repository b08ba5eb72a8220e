// Finds the Temporal CLI and the time-skipping test server: explicit env variable first, then the
// project-local install from PyPI (scripts/install-temporal.sh), then PATH.
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function find(envVar: string, name: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${envVar}=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const local = join(ROOT, '.tools', 'temporal', 'bin', name);
  if (isExecutable(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The Temporal CLI (`temporal server start-dev`), or undefined when not installed. */
export const findTemporalCli = (): string | undefined => find('TEMPORAL_CLI_PATH', 'temporal');

/** The time-skipping test server, or undefined (then @temporalio/testing may download it). */
export const findTestServer = (): string | undefined =>
  find('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
