// Long-cycle nurture for recycled leads (seeds: "80% of leads are not ready to buy yet"): monthly
// value, a check-in, and re-entry into acceleration as soon as the lead shows life again.
import { defineSequence, on, recycle, send, wait, waitFor } from '../domain/sequence/index.ts';

export const longCycleNurtureV1 = defineSequence({
  id: 'long-cycle-nurture',
  version: 1,
  name: 'Long-cycle nurture',
  description: 'Monthly content; engagement brings the lead back to MQL acceleration.',
  steps: [
    wait('7d', { id: 'settle' }),
    send('monthly-content', { id: 'month-1' }),
    waitFor(on(['email_click', 'page_view', 'content_download', 'email_reply']), {
      id: 'month-1-response',
      timeout: '30d',
      onEvent: [recycle('mql-acceleration', { id: 'reengaged-1' })],
    }),
    send('monthly-content', { id: 'month-2' }),
    wait('30d', { id: 'month-2-gap' }),
    send('recycle-checkin', { id: 'checkin' }),
    waitFor(on(['email_click', 'email_reply', 'form_submitted']), {
      id: 'checkin-response',
      timeout: '30d',
      onEvent: [recycle('mql-acceleration', { id: 'reengaged-2' })],
    }),
  ],
  // Loops monthly for as long as the lead stays subscribed: nurture never declares a lead dead.
  onComplete: { recycleTo: 'long-cycle-nurture', after: '30d' },
  migration: 'move_at_next_wait',
});
