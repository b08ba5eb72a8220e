// Operator command: move running journeys to a newer sequence version under the version's policy
// (keep / move at the next wait / restart), with a dry-run report of how many leads sit at each step.
// Finds leads through Temporal visibility (LeadSequence search attribute).
import type { Client } from '@temporalio/client';
import type { MigrationPolicy } from '../domain/sequence/index.ts';
import { catalog } from '../sequences/index.ts';
import { migrateUpdate, stateQuery } from '../workflows/definitions.ts';

export interface MigrationReport {
  sequenceId: string;
  toVersion: number;
  policy: MigrationPolicy;
  dryRun: boolean;
  /** `v<version> <step>` → number of running leads there. */
  atStep: Record<string, number>;
  migrated: number;
  skipped: number;
  failed: { workflowId: string; error: string }[];
}

export async function migrateSequence(
  client: Client,
  opts: {
    sequenceId: string;
    toVersion?: number;
    policy?: MigrationPolicy;
    dryRun?: boolean;
    concurrency?: number;
  },
): Promise<MigrationReport> {
  const target = opts.toVersion
    ? catalog.get(opts.sequenceId, opts.toVersion)
    : catalog.latest(opts.sequenceId);
  if (!target)
    throw new Error(
      `sequence: '${opts.sequenceId}${opts.toVersion ? `@${opts.toVersion}` : ''}' is not in the catalog`,
    );
  const policy = opts.policy ?? target.migration;
  const report: MigrationReport = {
    sequenceId: target.id,
    toVersion: target.version,
    policy,
    dryRun: opts.dryRun ?? false,
    atStep: {},
    migrated: 0,
    skipped: 0,
    failed: [],
  };
  const query = `WorkflowType = "leadWorkflow" AND ExecutionStatus = "Running" AND LeadSequence = "${target.id}"`;
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);

  const work = async (workflowId: string) => {
    const handle = client.workflow.getHandle(workflowId);
    const state = await handle.query(stateQuery);
    const seq = state.sequence;
    if (!seq || seq.id !== target.id) return; // moved on since the listing
    const key = `v${seq.version} ${seq.step ?? '(end)'}`;
    report.atStep[key] = (report.atStep[key] ?? 0) + 1;
    if (report.dryRun || policy === 'keep' || seq.version >= target.version) {
      report.skipped++;
      return;
    }
    try {
      await handle.executeUpdate(migrateUpdate, {
        args: [{ sequenceId: target.id, toVersion: target.version, policy }],
      });
      report.migrated++;
    } catch (err) {
      report.failed.push({
        workflowId,
        error: (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : String(err),
      });
    }
  };
  // Bounded fan-out: thousands of leads must not open thousands of concurrent updates.
  const queue = [...ids];
  const concurrency = opts.concurrency ?? 16;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) await work(id);
    }),
  );
  return report;
}
