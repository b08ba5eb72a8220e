// Replays committed histories against the current workflow code: a change that running journeys
// could not survive fails here, before it ships.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../support/stack.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));

describe('replay of recorded journeys', () => {
  it('has fixtures to replay', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of fixtures) {
    it(`replays ${file} deterministically`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, load(file), file);
    });
  }

  it('catches a deliberately nondeterministic change', async () => {
    const broken = await bundleWorkflowCode({
      workflowsPath: join(import.meta.dirname, '..', 'fixtures', 'nondeterministic', 'workflows.ts'),
      logger: { info() {}, debug() {}, trace() {}, warn() {}, error() {}, log() {} },
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: broken }, load('hand-raiser-accepted.json'), 'broken'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
