// Signed links in emails: open pixel, click redirect, one-click unsubscribe and sales feedback.
// Tokens carry ids only (no address) and expire; the API verifies them before touching anything.
import { signToken } from '../security/tokens.ts';

const DAY = 86_400_000;
export const TRACKING_TTL_MS = 180 * DAY;
export const FEEDBACK_TTL_MS = 30 * DAY;

export interface TrackingToken {
  k: 'open' | 'click' | 'unsub';
  l: string; // lead id
  m: string; // message id
  u?: string; // click target
}
export interface FeedbackToken {
  k: 'feedback';
  h: string; // handoff id
  l: string;
  f: 'accept' | 'reject' | 'won' | 'lost';
}

export function trackingLinks(base: string, secret: string, leadId: string, messageId: string, now: number) {
  const sign = (t: TrackingToken) => signToken(t, secret, { expiresAt: now + TRACKING_TTL_MS });
  return {
    openPixel: `${base}/t/o/${sign({ k: 'open', l: leadId, m: messageId })}`,
    click: (url: string) => `${base}/t/c/${sign({ k: 'click', l: leadId, m: messageId, u: url })}`,
    unsubscribe: `${base}/u/${sign({ k: 'unsub', l: leadId, m: messageId })}`,
  };
}

export function feedbackLinks(base: string, secret: string, leadId: string, handoffId: string, now: number) {
  const link = (f: FeedbackToken['f']) =>
    `${base}/v1/feedback/${signToken({ k: 'feedback', h: handoffId, l: leadId, f } satisfies FeedbackToken, secret, { expiresAt: now + FEEDBACK_TTL_MS })}`;
  return { accept: link('accept'), reject: link('reject'), won: link('won'), lost: link('lost') };
}
