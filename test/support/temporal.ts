// Temporal for tests, never faked: the time-skipping test server or the dev server, from the
// binaries scripts/install-temporal.sh put in .tools (or TEMPORAL_*_PATH, or PATH). Without a local
// binary the SDK downloads one, which needs the internet.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli, findTestServer } from '../../temporal/binaries.ts';
import { LEAD_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';

export function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = findTestServer();
  return TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
}

/** The dev server: real visibility (list/search workflows) and our search attributes registered. */
export function devServerEnv(): Promise<TestWorkflowEnvironment> {
  const path = findTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: path ? { type: 'existing-path', path } : undefined,
      searchAttributes: LEAD_SEARCH_ATTRIBUTES,
      extraArgs: ['--log-level', 'error'],
    },
  });
}
