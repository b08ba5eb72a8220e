// Records the replay fixtures (time-skipping server, recorder activities).
//   npx tsx test/replay/record.ts          overwrite <scenario>.json
//   npx tsx test/replay/record.ts <tag>    add <scenario>@<tag>.json beside them: after a patched()
//                                          change, keep the old histories (the old branch) and add new ones
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { createSimulationActivities } from '../../simulation/activities.ts';
import { bundleWorkflows } from '../../worker/create.ts';
import { timeSkippingEnv } from '../support/temporal.ts';
import { SCENARIOS } from './scenarios.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'histories');
const tag = process.argv[2];
if (tag !== undefined && !/^[a-z0-9-]+$/.test(tag))
  throw new Error('tag: use lower-case letters, digits and -');
const env = await timeSkippingEnv();
const taskQueue = 'record-histories';
const worker = await Worker.create({
  connection: env.nativeConnection,
  taskQueue,
  workflowBundle: await bundleWorkflows(),
  activities: createSimulationActivities([]),
});
await worker.runUntil(async () => {
  for (const scenario of SCENARIOS) {
    const workflowId = await scenario.run(env, taskQueue);
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    writeFileSync(join(dir, `${scenario.name}${tag ? `@${tag}` : ''}.json`), `${historyToJSON(history)}\n`);
    console.log(`recorded ${scenario.name}${tag ? `@${tag}` : ''}: ${history.events?.length} events`);
  }
});
await env.teardown();
