// After sales rejects a lead (seeds: "rejected is not dead, it is not ready"): give it room, check in
// once, then long-cycle nurture.
import { defineSequence, send, wait } from '../domain/sequence/index.ts';

export const postRejectionV1 = defineSequence({
  id: 'post-rejection',
  version: 1,
  name: 'Post-rejection recycle',
  description: 'Two quiet weeks, a check-in, then long-cycle nurture.',
  steps: [
    wait('14d', { id: 'quiet' }),
    send('recycle-checkin', { id: 'checkin' }),
    wait('14d', { id: 'after-checkin' }),
  ],
  onComplete: { recycleTo: 'long-cycle-nurture' },
  migration: 'keep',
});
