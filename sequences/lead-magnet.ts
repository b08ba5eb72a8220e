// Lead-magnet follow-up (seeds: "nurturing after a content download"): deliver the ebook, follow up
// three times with related value, then invite to a webinar. Silence after the first touch sends the
// lead to long-cycle nurture instead of marking it dead.
import { defineSequence, goal, on, recycle, send, tag, wait, waitFor } from '../domain/sequence/index.ts';

const engaged = on([
  'email_click',
  'email_reply',
  'page_view',
  'content_download',
  'webinar_registered',
  'form_submitted',
]);
const firstEngagement = waitFor(engaged, {
  id: 'first-engagement',
  timeout: '7d',
  onEvent: [tag(['engaged'])],
  onTimeout: [recycle('long-cycle-nurture', { id: 'silent-to-nurture' })],
});
const webinarResponse = waitFor(on(['webinar_registered', 'webinar_attended']), {
  id: 'webinar-response',
  timeout: '14d',
  onEvent: [tag(['webinar'])],
});
const shared = {
  id: 'lead-magnet',
  name: 'Lead magnet follow-up',
  goals: [goal('meeting-booked', on('custom', { properties: { name: 'meeting_booked' } }))],
  onComplete: { recycleTo: 'long-cycle-nurture' },
  migration: 'move_at_next_wait' as const,
};

export const leadMagnetV1 = defineSequence({
  ...shared,
  version: 1,
  description: 'Ebook download → three touches → webinar invite; silent leads go to long-cycle nurture.',
  steps: [
    send('welcome', { id: 'deliver-ebook' }),
    firstEngagement,
    send('ebook-followup-1', { id: 'followup-1' }),
    wait('3d', { id: 'gap-1' }),
    send('ebook-followup-2', { id: 'followup-2' }),
    wait('4d', { id: 'gap-2' }),
    send('ebook-followup-3', { id: 'followup-3' }),
    wait('5d', { id: 'gap-3' }),
    send('webinar-invite', { id: 'webinar-invite' }),
    webinarResponse,
  ],
});

// v2: engaged readers see pricing earlier (seeds: pricing visits are the strongest intent signal).
// Step ids are kept, so leads on v1 move over at their next wait without repeating an email.
export const leadMagnetV2 = defineSequence({
  ...shared,
  version: 2,
  description: 'v1 plus a pricing nudge after the third touch.',
  steps: [
    send('welcome', { id: 'deliver-ebook' }),
    firstEngagement,
    send('ebook-followup-1', { id: 'followup-1' }),
    wait('3d', { id: 'gap-1' }),
    send('ebook-followup-2', { id: 'followup-2' }),
    wait('4d', { id: 'gap-2' }),
    send('ebook-followup-3', { id: 'followup-3' }),
    wait('2d', { id: 'gap-pricing' }),
    send('pricing-followup', { id: 'pricing-nudge' }),
    wait('3d', { id: 'gap-3' }),
    send('webinar-invite', { id: 'webinar-invite' }),
    webinarResponse,
  ],
});
