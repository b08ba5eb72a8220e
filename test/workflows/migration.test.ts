// Changing a sequence while leads are inside it: the operator command lists running journeys through
// Temporal visibility (dev server: the time-skipping server has none), reports where they are, and
// moves them to the new version under its policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateSequence } from '../../operations/migrate-sequence.ts';
import { leadMagnetV1 } from '../../sequences/lead-magnet.ts';
import { eventSignal, stateQuery } from '../../workflows/definitions.ts';
import { startHarness, until } from './harness.ts';

let h: Awaited<ReturnType<typeof startHarness>>;
beforeAll(async () => {
  h = await startHarness({ temporal: 'dev' });
});
afterAll(async () => {
  await h?.stop();
});

describe('sequence version migration', () => {
  it('dry-runs a report per step, then moves leads at their wait without repeating an email', async () => {
    // Two leads pinned to v1 (the catalog's latest is v2).
    const waiting = await h.startLead({ sequence: leadMagnetV1 });
    const engaged = await h.startLead({ sequence: leadMagnetV1 });
    await until(
      () => waiting.handle.query(stateQuery),
      (s) => s.sequence?.step === 'first-engagement',
    );
    await until(
      () => engaged.handle.query(stateQuery),
      (s) => s.sequence?.step === 'first-engagement',
    );
    await engaged.handle.signal(eventSignal, await h.event('email_click'));
    await until(
      () => engaged.handle.query(stateQuery),
      (s) => s.sequence?.step === 'gap-1',
    );

    // Visibility is eventually consistent: wait until both are listed.
    const dry = await until(
      () => migrateSequence(h.env.client, { sequenceId: 'lead-magnet', dryRun: true }),
      (r) => Object.values(r.atStep).reduce((a, b) => a + b, 0) >= 2,
      30_000,
    );
    expect(dry.atStep['v1 first-engagement']).toBeGreaterThanOrEqual(1);
    expect(dry.atStep['v1 gap-1']).toBe(1);
    expect(dry.migrated).toBe(0);
    expect(dry.policy).toBe('move_at_next_wait');
    expect((await waiting.handle.query(stateQuery)).sequence?.version).toBe(1); // dry run changed nothing

    const run = await migrateSequence(h.env.client, { sequenceId: 'lead-magnet' });
    expect(run.failed).toEqual([]);
    expect(run.migrated).toBeGreaterThanOrEqual(2);
    const a = await waiting.handle.query(stateQuery);
    const b = await engaged.handle.query(stateQuery);
    expect(a.sequence).toMatchObject({ version: 2, step: 'first-engagement' });
    expect(b.sequence).toMatchObject({ version: 2, step: 'gap-1' });
    // The wait keeps its original end: moving versions does not restart the clock.
    expect(b.sequence?.waitUntil).toBeGreaterThan(Date.now() + 2 * 86_400_000);
    const sent = engaged.effects('email').map((e) => e.detail);
    expect(sent).toEqual(['welcome', 'ebook-followup-1']);
  }, 90_000);
});
