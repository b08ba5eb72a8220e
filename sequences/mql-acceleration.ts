// MQL acceleration for pricing-page visitors (seeds: pricing visits are intent): one targeted
// follow-up, then either a hand-raise (scoring hands off at once) or a check of the intent score.
import {
  branch,
  defineSequence,
  handoff,
  on,
  recycle,
  send,
  wait,
  waitFor,
  when,
} from '../domain/sequence/index.ts';

export const mqlAccelerationV1 = defineSequence({
  id: 'mql-acceleration',
  version: 1,
  name: 'MQL acceleration (pricing visitors)',
  description:
    'Pricing-page visitors get a pricing follow-up; strong intent goes to sales, the rest to nurture.',
  steps: [
    send('pricing-followup', { id: 'pricing-followup' }),
    waitFor(on(['demo_request', 'contact_request', 'pricing_request']), {
      id: 'hand-raise',
      timeout: '3d',
      onTimeout: [
        branch(
          when.all(when.score('intent', 20), when.score('fit', 20)),
          [handoff('strong intent after pricing follow-up', { id: 'intent-handoff' })],
          [wait('2d', { id: 'cool-off' }), recycle('long-cycle-nurture', { id: 'to-nurture' })],
          { id: 'intent-check' },
        ),
      ],
    }),
  ],
  onComplete: { recycleTo: 'long-cycle-nurture' },
  migration: 'restart',
});
