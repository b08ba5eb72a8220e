// Records the replay fixtures (time-skipping server, recorder activities): each scenario's lead
// workflow history, and its hand-off child's when it has one (`<scenario>.handoff`).
//   npx tsx test/replay/record.ts [tag] [--only lead|handoff]
//   no tag: overwrite <name>.json; a tag: add <name>@<tag>.json beside them. After a patched()
//   change, keep the old histories (they replay the old branch) and add tagged new ones.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { createSimulationActivities } from '../../simulation/activities.ts';
import { bundleWorkflows } from '../../worker/create.ts';
import { handoffWorkflowId } from '../../workflows/definitions.ts';
import { timeSkippingEnv } from '../support/temporal.ts';
import { SCENARIOS } from './scenarios.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { only: { type: 'string' } },
});
const tag = positionals[0];
if (tag !== undefined && !/^[a-z0-9-]+$/.test(tag))
  throw new Error('tag: use lower-case letters, digits and -');
if (values.only !== undefined && values.only !== 'lead' && values.only !== 'handoff')
  throw new Error('--only: lead or handoff');

const dir = join(import.meta.dirname, '..', 'fixtures', 'histories');
const env = await timeSkippingEnv();
const taskQueue = 'record-histories';
const worker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue,
  workflowBundle: await bundleWorkflows(),
  activities: createSimulationActivities([]),
});

async function save(workflowId: string, name: string): Promise<void> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const file = `${name}${tag ? `@${tag}` : ''}.json`;
  writeFileSync(join(dir, file), `${historyToJSON(history)}\n`);
  console.log(`recorded ${file}: ${history.events?.length} events`);
}

await worker.runUntil(async () => {
  for (const scenario of SCENARIOS) {
    const workflowId = await scenario.run(env, taskQueue);
    if (values.only !== 'handoff') await save(workflowId, scenario.name);
    if (values.only === 'lead') continue;
    const child = handoffWorkflowId(`${workflowId.replace(/^lead-/, '')}-1`);
    const exists = await env.client.workflow
      .getHandle(child)
      .describe()
      .then(() => true)
      .catch(() => false);
    if (exists) await save(child, `${scenario.name}.handoff`);
  }
});
await env.teardown();
