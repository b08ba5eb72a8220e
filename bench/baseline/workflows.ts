// Raw Temporal baseline for bench/handoff-latency.bench.ts: a workflow that waits for one signal and
// then runs one trivial activity. Signal sent → activity started is the floor of any "event in,
// side effect out" path on this Temporal server: one workflow task plus one activity dispatch.
import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export interface BaselineActivities {
  /** Resolves the bench's pending promise for sample `i` (the clock stops when it starts). */
  fired(input: { i: number }): Promise<void>;
}

const { fired } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '10 seconds' });

export const goSignal = defineSignal('go');
/** True once the workflow is parked on the signal (the bench only times idle workflows). */
export const readyQuery = defineQuery<boolean>('ready');

export async function baselineWorkflow(i: number): Promise<void> {
  let go = false;
  let ready = false;
  setHandler(goSignal, () => {
    go = true;
  });
  setHandler(readyQuery, () => ready);
  ready = true;
  await condition(() => go);
  await fired({ i });
}
