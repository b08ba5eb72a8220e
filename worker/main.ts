// `npm run worker`: a production worker from environment settings. Ctrl-C / SIGTERM drains it.
import { Runtime } from '@temporalio/worker';
import { loadAppEnv } from '../config/env.ts';
import { connectWorker } from '../temporal/connection.ts';
import { createWorker } from './create.ts';
import { buildDeps } from './deps.ts';

const env = loadAppEnv();
if (env.WORKER_METRICS_ADDRESS) {
  // Task latencies, schedule-to-start, sticky-cache hits: the SDK core exports them itself.
  Runtime.install({
    telemetryOptions: { metrics: { prometheus: { bindAddress: env.WORKER_METRICS_ADDRESS } } },
  });
}
const connection = await connectWorker(env);
const deps = await buildDeps(env);
const worker = await createWorker({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  deps,
});
// The SDK installs SIGINT/SIGTERM handlers that shut the worker down gracefully.
await worker.run();
await deps.db.$disconnect();
await connection.close();
