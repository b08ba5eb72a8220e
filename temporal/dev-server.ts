// Runs `temporal server start-dev` as a child process with a persistent local file, the Web UI and
// our search attributes registered, and waits until it accepts connections.
import { type ChildProcess, spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { LEAD_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';
import { findTemporalCli } from './binaries.ts';

const TYPE_NAMES: Record<string, string> = {
  KEYWORD: 'Keyword',
  DOUBLE: 'Double',
  TEXT: 'Text',
  INT: 'Int',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
};

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export async function startDevServer(opts: {
  dbFile: string;
  port?: number;
  uiPort?: number;
  ip?: string;
}): Promise<DevServer> {
  const cli = findTemporalCli();
  if (!cli)
    throw new Error(
      'Temporal CLI not found: run `bash scripts/install-temporal.sh` or set TEMPORAL_CLI_PATH',
    );
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? 8233;
  const ip = opts.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'error',
  ];
  for (const key of LEAD_SEARCH_ATTRIBUTES)
    args.push('--search-attribute', `${key.name}=${TYPE_NAMES[key.type] ?? key.type}`);
  const child: ChildProcess = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const address = `${ip}:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`temporal dev server exited (${child.exitCode}): ${stderr.slice(-2000)}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      await conn.healthService.check({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`temporal dev server did not start on ${address}: ${stderr.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    address,
    uiUrl: `http://${ip}:${uiPort}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
