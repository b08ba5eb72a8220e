#!/usr/bin/env node
// The operator's and marketer's command line (commander): dev stack, migrations, API keys,
// sequence validation and graphs.
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';

const int = (v: string) => {
  const n = Number.parseInt(v, 10);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
};

// `nurture ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('nurture').description('Lead-nurture engine');

program
  .command('dev')
  .description('run the whole stack locally on embedded defaults')
  .option('--data-dir <dir>', 'where state is kept between runs', '.data')
  .option('--api-port <port>', 'HTTP API port', int, 3000)
  .option('--smtp-port <port>', 'SMTP capture port', int, 1025)
  .option('--mail-port <port>', 'captured-mail web view port', int, 8025)
  .option('--temporal-port <port>', 'Temporal frontend port (UI on +1000)', int, 7233)
  .action(async (o) => {
    const { runDev } = await import('./dev.ts');
    await runDev({
      dataDir: resolve(o.dataDir),
      apiPort: o.apiPort,
      smtpPort: o.smtpPort,
      mailPort: o.mailPort,
      temporalPort: o.temporalPort,
    });
  });

program
  .command('migrate')
  .description('apply committed migrations to DATABASE_URL (offline; no Prisma engine needed)')
  .action(async () => {
    const { applyMigrations } = await import('../db/migrate.ts');
    const url = process.env.DATABASE_URL;
    if (!url) throw new InvalidArgumentError('DATABASE_URL is not set');
    const r = await applyMigrations(url, { log: console.log });
    console.log(`applied ${r.applied.length}, already applied ${r.skipped.length}`);
  });

const migrations = program
  .command('migrations')
  .description(
    'author and check migrations offline (WebAssembly schema engine; needs DATABASE_URL of a PostgreSQL ' +
      'server where a shadow database may be created and dropped)',
  );
migrations
  .command('check')
  .description('exit 2 and print the missing SQL when prisma/schema.prisma and prisma/migrations disagree')
  .action(async () => {
    const { pendingMigration } = await import('../db/schema-engine.ts');
    const { sql } = await pendingMigration(requireEnv('DATABASE_URL'));
    if (!sql) {
      console.log('schema.prisma and prisma/migrations agree');
      process.exit(0);
    }
    console.log(`schema.prisma has changes no migration makes yet:\n\n${sql}`);
    process.exit(2);
  });
migrations
  .command('create <name>')
  .description('write prisma/migrations/<timestamp>_<name>/migration.sql for what schema.prisma changed')
  .action(async (name: string) => {
    const { migrationName, pendingMigration } = await import('../db/schema-engine.ts');
    const { DEFAULT_MIGRATIONS_DIR } = await import('../db/migrate.ts');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    let dirName: string;
    try {
      dirName = migrationName(name);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    const { sql } = await pendingMigration(requireEnv('DATABASE_URL'));
    if (!sql) {
      console.log('nothing to do: schema.prisma and prisma/migrations agree');
      process.exit(0);
    }
    const dir = join(DEFAULT_MIGRATIONS_DIR, dirName);
    mkdirSync(dir);
    writeFileSync(join(dir, 'migration.sql'), `${sql}\n`);
    console.log(
      `wrote ${join('prisma/migrations', dirName, 'migration.sql')}; review it, then \`npm run migrate\``,
    );
    process.exit(0); // the engine keeps timers alive
  });

const keys = program.command('api-key').description('manage API keys (stored hashed)');
keys
  .command('create <name>')
  .option('--scopes <scopes>', 'comma-separated: read,write', 'read,write')
  .action(async (name: string, o: { scopes: string }) => {
    const scopes = o.scopes.split(',').map((s) => s.trim());
    for (const s of scopes)
      if (s !== 'read' && s !== 'write') throw new InvalidArgumentError(`scope '${s}' must be read or write`);
    const { createDb } = await import('../db/client.ts');
    const { createApiKey } = await import('../api/auth.ts');
    const db = createDb(requireEnv('DATABASE_URL'));
    const { id, key } = await createApiKey(db, name, scopes as ('read' | 'write')[]);
    console.log(`id:  ${id}\nkey: ${key}   (shown once)`);
    await db.$disconnect();
  });
keys.command('revoke <id>').action(async (id: string) => {
  const { createDb } = await import('../db/client.ts');
  const { revokeApiKey } = await import('../api/auth.ts');
  const db = createDb(requireEnv('DATABASE_URL'));
  await revokeApiKey(db, id);
  console.log(`revoked ${id}`);
  await db.$disconnect();
});

const seq = program.command('sequences').description('nurture sequences as code');
seq
  .command('validate')
  .description('check every sequence against the templates and each other')
  .action(async () => {
    const { validateCatalog } = await import('../sequences/validate-catalog.ts');
    const n = await validateCatalog();
    console.log(`${n} sequence versions valid`);
  });
seq
  .command('graph <id>')
  .description('print a sequence as Mermaid flowchart text')
  .option('--version <n>', 'version (default: latest)')
  .action(async (id: string, o: { version?: string }) => {
    const { catalog } = await import('../sequences/index.ts');
    const { graph } = await import('../domain/sequence/index.ts');
    const s = o.version ? catalog.get(id, Number(o.version)) : catalog.latest(id);
    if (!s) throw new InvalidArgumentError(`unknown sequence '${id}'`);
    console.log(graph(s));
  });

seq
  .command('migrate <id>')
  .description("move running journeys to a newer version under the version's policy")
  .option('--to <version>', 'target version (default: latest)')
  .option('--policy <policy>', "keep | move_at_next_wait | restart (default: the version's own)")
  .option('--dry-run', 'only report how many leads are at each step')
  .action(async (id: string, o: { to?: string; policy?: string; dryRun?: boolean }) => {
    const { MigrationPolicy } = await import('../domain/sequence/index.ts');
    const policy = o.policy === undefined ? undefined : MigrationPolicy.safeParse(o.policy);
    if (policy && !policy.success)
      throw new InvalidArgumentError(`--policy must be one of ${MigrationPolicy.options.join(', ')}`);
    const { loadTemporalEnv } = await import('../config/env.ts');
    const { connectClient } = await import('../temporal/connection.ts');
    const { migrateSequence } = await import('../operations/migrate-sequence.ts');
    const client = await connectClient(loadTemporalEnv());
    const report = await migrateSequence(client, {
      sequenceId: id,
      toVersion: o.to ? Number(o.to) : undefined,
      policy: policy?.data,
      dryRun: o.dryRun,
    });
    console.table(Object.entries(report.atStep).map(([step, leads]) => ({ step, leads })));
    console.log(
      `${report.dryRun ? 'dry run: ' : ''}policy ${report.policy} → ${report.sequenceId}@${report.toVersion}: migrated ${report.migrated}, unchanged ${report.skipped}, failed ${report.failed.length}`,
    );
    for (const f of report.failed) console.log(`  ${f.workflowId}: ${f.error}`);
    await client.connection.close();
  });

const tpl = program.command('templates').description('MJML email templates');
tpl
  .command('list')
  .description('every template with the variables it needs')
  .action(async () => {
    const { loadTemplates } = await import('../email/render.ts');
    const reg = await loadTemplates();
    for (const id of reg.ids().sort()) {
      const { required, optional } = reg.contract(id);
      console.log(
        `${id}\n  required: ${required.join(', ') || '-'}\n  optional: ${optional.join(', ') || '-'}`,
      );
    }
  });
tpl
  .command('preview <id>')
  .description('render a template with its sample data: subject, preheader and the plain-text part')
  .option('--html <file>', 'also write the HTML part to this file (open it in a browser)')
  .action(async (id: string, o: { html?: string }) => {
    const { loadTemplates } = await import('../email/render.ts');
    const reg = await loadTemplates();
    if (!reg.has(id))
      throw new InvalidArgumentError(`unknown template '${id}' (known: ${reg.ids().sort().join(', ')})`);
    const out = reg.preview(id);
    console.log(`Subject:   ${out.subject}\nPreheader: ${out.preheader}\n\n${out.text}`);
    if (o.html) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(o.html, out.html);
      console.log(`\nHTML written to ${o.html}`);
    }
  });

const scoring = program.command('scoring').description('scoring models as code');
scoring
  .command('backtest <candidate>')
  .description(
    "replay DATABASE_URL's recorded events through the current model and a candidate model file " +
      '(default export or `model`) and report which leads would change',
  )
  .option('--against <file>', 'compare with this model file instead of the shipped default model')
  .option('--since <duration>', 'only events this recent, e.g. 90d (default: all)')
  .option('--show <n>', 'how many changed leads to list', int, 20)
  .action(async (candidateFile: string, o: { against?: string; since?: string; show: number }) => {
    const { defaultScoringModel } = await import('../domain/scoring/index.ts');
    const { parseDuration } = await import('../domain/sequence/index.ts');
    const { backtestDatabase, loadModelFile } = await import('../operations/backtest-models.ts');
    const { createDb } = await import('../db/client.ts');
    let sinceMs: number | undefined;
    if (o.since !== undefined) {
      try {
        sinceMs = Date.now() - parseDuration(o.since);
      } catch (err) {
        throw new InvalidArgumentError(`--since: ${(err as Error).message}`);
      }
    }
    const candidate = await loadModelFile(candidateFile);
    const current = o.against ? await loadModelFile(o.against) : defaultScoringModel;
    const db = createDb(requireEnv('DATABASE_URL'));
    try {
      const r = await backtestDatabase(db, current, candidate, { since: sinceMs, show: o.show });
      const { summary: s } = r;
      console.log(`A = ${r.modelA.id}@${r.modelA.version}, B = ${r.modelB.id}@${r.modelB.version}`);
      console.table({
        'leads replayed': { value: s.leads },
        'MQL under A': { value: s.mql.a },
        'MQL under B': { value: s.mql.b },
        'MQL only under B': { value: s.becameMql },
        'MQL only under A': { value: s.noLongerMql },
        'MQL earlier under B': { value: s.earlierMql },
        'MQL later under B': { value: s.laterMql },
        'disqualified A / B': { value: `${s.disqualified.a} / ${s.disqualified.b}` },
        'final stage changed': { value: s.finalStageChanged },
        'leads changed': { value: s.changed },
      });
      for (const c of r.changed) console.log(`lead ${c.leadId}: ${c.changes.join('; ')}`);
    } finally {
      await db.$disconnect();
    }
  });

program
  .command('simulate <sequence>')
  .description('run a sequence through the real workflow on the time-skipping server and print the timeline')
  .option(
    '--event <at:type>',
    'scripted event, e.g. 2d:email_click (repeatable)',
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option('--horizon <duration>', 'how long to simulate', '90d')
  .option('--profile <json>', 'lead profile (no email), e.g. {"seniority":"vp","companySize":200}', '{}')
  .action(async (id: string, o: { event: string[]; horizon: string; profile: string }) => {
    const { catalog } = await import('../sequences/index.ts');
    const { EventType } = await import('../domain/events.ts');
    const { simulate } = await import('../simulation/simulate.ts');
    const { DefaultLogger, Runtime } = await import('@temporalio/worker');
    Runtime.install({ logger: new DefaultLogger('WARN') }); // the timeline is the output, not worker chatter
    const sequence = catalog.latest(id);
    if (!sequence)
      throw new InvalidArgumentError(`unknown sequence '${id}' (known: ${catalog.ids().join(', ')})`);
    const events = o.event.map((spec) => {
      const [at, type] = spec.split(':');
      const parsed = EventType.safeParse(type);
      if (!at || !parsed.success)
        throw new InvalidArgumentError(`--event '${spec}': expected <duration>:<event type>`);
      return { at, type: parsed.data };
    });
    const { timeline, final } = await simulate(
      sequence,
      { fields: {}, tags: [], ...JSON.parse(o.profile) },
      events,
      { horizon: o.horizon },
    );
    for (const t of timeline)
      console.log(
        `day ${(t.offsetMs / 86_400_000).toFixed(2).padStart(6)}  ${t.kind.padEnd(12)} ${t.detail}`,
      );
    console.log(`\nfinal stage: ${final.stage}; scores ${JSON.stringify(final.scores)}`);
  });

function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) {
    console.error(`${name} is not set`);
    process.exit(1); // 2 means "migrations check: schema and migrations disagree"
  }
  return v;
}

program.parseAsync().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
