// Lead-magnet follow-up (seeds: "nurturing after a content download"): deliver the ebook, follow up
// three times with related value, then invite to a webinar. Silence after the first touch sends the
// lead to long-cycle nurture instead of marking it dead.
import { defineSequence, goal, on, recycle, send, tag, wait, waitFor } from '../domain/sequence/index.ts';

const engaged = on(['email_click', 'email_reply', 'page_view', 'content_download', 'webinar_registered', 'form_submitted']);

export const leadMagnetV1 = defineSequence({
  id: 'lead-magnet',
  version: 1,
  name: 'Lead magnet follow-up',
  description: 'Ebook download → three touches → webinar invite; silent leads go to long-cycle nurture.',
  steps: [
    send('welcome', { id: 'deliver-ebook' }),
    waitFor(engaged, {
      id: 'first-engagement',
      timeout: '7d',
      onEvent: [tag(['engaged'])],
      onTimeout: [recycle('long-cycle-nurture', { id: 'silent-to-nurture' })],
    }),
    send('ebook-followup-1', { id: 'followup-1' }),
    wait('3d', { id: 'gap-1' }),
    send('ebook-followup-2', { id: 'followup-2' }),
    wait('4d', { id: 'gap-2' }),
    send('ebook-followup-3', { id: 'followup-3' }),
    wait('5d', { id: 'gap-3' }),
    send('webinar-invite', { id: 'webinar-invite' }),
    waitFor(on(['webinar_registered', 'webinar_attended']), {
      id: 'webinar-response',
      timeout: '14d',
      onEvent: [tag(['webinar'])],
    }),
  ],
  goals: [goal('meeting-booked', on('custom', { properties: { name: 'meeting_booked' } }))],
  onComplete: { recycleTo: 'long-cycle-nurture' },
  migration: 'move_at_next_wait',
});
