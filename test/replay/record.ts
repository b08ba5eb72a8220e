// Records the replay fixtures: `npx tsx test/replay/record.ts` (time-skipping server, recorder activities).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { createSimulationActivities } from '../../simulation/activities.ts';
import { bundleWorkflows } from '../../worker/create.ts';
import { timeSkippingEnv } from '../support/temporal.ts';
import { SCENARIOS } from './scenarios.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'histories');
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
    writeFileSync(join(dir, `${scenario.name}.json`), `${historyToJSON(history)}\n`);
    console.log(`recorded ${scenario.name}: ${history.events?.length} events`);
  }
});
await env.teardown();
