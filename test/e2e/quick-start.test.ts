// The README's main command as a new user runs it: `cli/main.ts dev` (what `npm start` ends in)
// in its own process, on a fresh data directory and free ports. The two `curl` commands it prints
// are run as printed (by bash and the real curl): the welcome email and the sales hand-off email
// must show up in the captured-mail view. Ctrl-C must stop everything cleanly, and a second start
// must reuse the data (same key, the lead still `mql`).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/stack.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'lne-quick-start-'));
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** A port nothing listens on now (and, for Temporal, its UI port +1000 too). */
async function freePort(alsoFree = 0): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await canListen(port)) && (alsoFree === 0 || (await canListen(port + alsoFree)))) return port;
  }
}
const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });

interface Started {
  process: ChildProcess;
  output: () => string;
}

async function startDev(ports: Record<'api' | 'smtp' | 'mail' | 'temporal', number>): Promise<Started> {
  // Only what a new user's shell has: none of the app's variables.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_URL|TEMPORAL_|SMTP_|LINK_|WEBHOOK_|PUBLIC_BASE_URL)/.test(k),
    ),
  );
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'cli/main.ts',
      'dev',
      '--data-dir',
      dataDir,
      '--api-port',
      String(ports.api),
      '--smtp-port',
      String(ports.smtp),
      '--mail-port',
      String(ports.mail),
      '--temporal-port',
      String(ports.temporal),
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    out += d;
  });
  child = proc;
  await eventually(
    async () => {
      if (proc.exitCode !== null) throw new Error(`dev stack exited early (${proc.exitCode}):\n${out}`);
      return out.includes('Ctrl-C stops everything');
    },
    120_000,
    'the dev stack printing its URLs',
  );
  return { process: proc, output: () => out };
}

async function stop(proc: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.kill('SIGINT');
  return exited;
}

/** The printed curl commands, joined across their `\` continuation lines. */
function printedCurls(out: string): string[] {
  return [...out.matchAll(/(curl -s -X POST [^\n]*\\\n\s*-d '[^']*')/g)].map((m) =>
    (m[1] as string).replace(/\\\n\s*/, ''),
  );
}

describe('npm start (the dev stack) as a new user runs it', () => {
  it('prints curls that produce a welcome and a hand-off email, stops on Ctrl-C and restarts on its data', async () => {
    const ports = {
      api: await freePort(),
      smtp: await freePort(),
      mail: await freePort(),
      temporal: await freePort(1000),
    };
    const first = await startDev(ports);
    const out = first.output();
    expect(out).toContain(`http://localhost:${ports.api}`);
    expect(out).toMatch(
      new RegExp(`Temporal UI +http://(localhost|127\\.0\\.0\\.1):${ports.temporal + 1000}`),
    );
    const curls = printedCurls(out);
    expect(curls).toHaveLength(2);
    const apiKey = /x-api-key: (\S+)'/.exec(out)?.[1];
    expect(apiKey).toMatch(/^lnk_/);

    const mails = async () =>
      (await (await fetch(`http://127.0.0.1:${ports.mail}/messages`)).json()) as Array<{
        to: string[];
        subject: string;
        text: string | null;
      }>;

    const enrol = JSON.parse((await run('bash', ['-c', curls[0] as string])).stdout);
    expect(enrol).toMatchObject({ duplicate: false, delivered: true });
    const welcome = await eventually(
      async () => (await mails()).find((m) => m.to.includes('ada@example.com')),
      30_000,
      'the welcome email',
    );
    expect(welcome.text).toContain('Ada');

    await run('bash', ['-c', curls[1] as string]);
    const handoff = await eventually(
      async () => (await mails()).find((m) => !m.to.includes('ada@example.com')),
      30_000,
      'the sales hand-off email',
    );
    expect(handoff.text).toContain('Analytical Engines');
    const lead = async () =>
      (
        await fetch(`http://127.0.0.1:${ports.api}/v1/leads/${enrol.leadId}`, {
          headers: { 'x-api-key': apiKey as string },
        })
      ).json() as Promise<{ stage: string }>;
    await eventually(async () => (await lead()).stage === 'mql', 20_000, 'stage mql');

    // The printed dashboard, signed in with the printed key, lists the demo lead.
    expect(out).toContain(`Dashboard      http://localhost:${ports.api}/dashboard`);
    const login = await fetch(`http://127.0.0.1:${ports.api}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ key: apiKey as string }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const session = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const leadsPage = await fetch(`http://127.0.0.1:${ports.api}/dashboard/leads?stage=mql`, {
      headers: { cookie: session },
    });
    expect(await leadsPage.text()).toContain('Analytical Engines');

    expect(await stop(first.process)).toBe(0);

    // A second start reuses .data: migrations already applied, the same key, the lead still there.
    const second = await startDev(ports);
    expect(second.output()).toContain('none pending');
    expect(second.output()).toContain(apiKey);
    expect((await lead()).stage).toBe('mql');
    expect(await stop(second.process)).toBe(0);
  });
});
