// simulate(): a 90-day journey through the real workflow on the time-skipping server, in seconds.

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadMagnetV1 } from '../../sequences/lead-magnet.ts';
import { simulate } from '../../simulation/simulate.ts';
import { timeSkippingEnv } from '../support/temporal.ts';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const profile = {
  fields: {},
  tags: [],
  emailDomain: 'corp.test',
  seniority: 'director' as const,
  companySize: 300,
};

describe('simulate', () => {
  it('runs 90 days of a silent lead in seconds and shows the return to nurture', async () => {
    const started = Date.now();
    const { timeline, final } = await simulate(leadMagnetV1, profile, [], { horizon: '90d', env });
    expect(Date.now() - started).toBeLessThan(60_000); // wall clock, generous: 90 simulated days
    const emails = timeline.filter((t) => t.kind === 'email');
    expect(emails[0]).toMatchObject({ detail: 'welcome' });
    expect(emails[0]?.offsetMs).toBeLessThan(DAY);
    const toNurture = timeline.find((t) => t.kind === 'stage' && t.detail.startsWith('subscriber → nurture'));
    expect(toNurture?.offsetMs).toBeGreaterThanOrEqual(7 * DAY);
    expect(toNurture?.offsetMs).toBeLessThan(8 * DAY);
    // Long-cycle nurture keeps sending monthly content: never dead.
    const monthly = emails.filter((e) => e.detail === 'monthly-content');
    expect(monthly.length).toBeGreaterThanOrEqual(2);
    expect(final.stage).toBe('nurture');
  });

  it('an engaged lead gets every follow-up on schedule, and a demo request hands off', async () => {
    const { timeline, final } = await simulate(
      leadMagnetV1,
      profile,
      [
        { at: '1d', type: 'email_click' },
        { at: '9d', type: 'page_view', properties: { path: '/pricing' } },
        { at: '20d', type: 'demo_request' },
      ],
      { horizon: '30d', env },
    );
    const emails = timeline
      .filter((t) => t.kind === 'email')
      .map((e) => [e.detail, Math.round(e.offsetMs / DAY)]);
    expect(emails).toEqual([
      ['welcome', 0],
      ['ebook-followup-1', 1],
      ['ebook-followup-2', 4],
      ['ebook-followup-3', 8],
      ['webinar-invite', 13],
    ]);
    const handoff = timeline.find((t) => t.kind === 'stage' && t.detail.includes('→ mql'));
    expect(handoff?.detail).toBe('lead → mql (hand_raiser)');
    expect(Math.round((handoff?.offsetMs ?? 0) / DAY)).toBe(20);
    expect(timeline.filter((t) => t.kind === 'sales_email').map((t) => t.detail.split(' ')[0])).toEqual([
      'new',
      'reminder',
      'escalation',
    ]);
    // Nobody in sales answered within the 72-hour SLA: back to nurture on day 23, not dropped.
    const expired = timeline.find((t) => t.kind === 'stage' && t.detail === 'mql → nurture (sla_expired)');
    expect(Math.round((expired?.offsetMs ?? 0) / DAY)).toBe(23);
    expect(final.stage).toBe('nurture');
  });
});
