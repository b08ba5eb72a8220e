// When may we email a lead? Quiet hours in the lead's own time zone and a rolling frequency cap.
// Pure: the send activity asks, and defers (never drops) a send that is not allowed yet.
export interface DeliveryPolicy {
  /** Local hours [start, end) during which no marketing email is sent, e.g. 21 → 8. */
  quietHours: { start: number; end: number } | null;
  /** At most `max` marketing emails per rolling `windowMs`. */
  frequencyCap: { max: number; windowMs: number } | null;
}

export const DEFAULT_POLICY: DeliveryPolicy = {
  quietHours: { start: 21, end: 8 },
  frequencyCap: { max: 3, windowMs: 7 * 86_400_000 },
};

function localHour(at: number, timeZone: string): { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { hour: get('hour'), minute: get('minute') };
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The first moment at or after `at` outside quiet hours (checked in 15-minute steps). */
export function nextAllowedByQuietHours(at: number, timeZone: string | undefined, quiet: DeliveryPolicy['quietHours']): number {
  if (!quiet || !timeZone || !isValidTimeZone(timeZone)) return at;
  const inQuiet = (t: number) => {
    const { hour } = localHour(t, timeZone);
    return quiet.start > quiet.end ? hour >= quiet.start || hour < quiet.end : hour >= quiet.start && hour < quiet.end;
  };
  if (!inQuiet(at)) return at;
  const step = 15 * 60_000;
  let t = Math.ceil(at / step) * step;
  for (let i = 0; i < 24 * 4 + 1 && inQuiet(t); i++) t += step;
  return t;
}

/** When the cap allows the next send, given the send times in the window (ascending). */
export function nextAllowedByCap(at: number, recentSends: readonly number[], cap: DeliveryPolicy['frequencyCap']): number {
  if (!cap) return at;
  const inWindow = recentSends.filter((t) => t > at - cap.windowMs).sort((a, b) => a - b);
  if (inWindow.length < cap.max) return at;
  // The oldest send that must leave the window before one more fits.
  return (inWindow[inWindow.length - cap.max] as number) + cap.windowMs;
}

export function nextAllowedSend(
  at: number,
  lead: { timezone?: string | null },
  recentSends: readonly number[],
  policy: DeliveryPolicy,
): { at: number; reason?: 'quiet_hours' | 'frequency_cap' } {
  let t = at;
  let reason: 'quiet_hours' | 'frequency_cap' | undefined;
  // Alternate until both agree: moving past the cap may land in quiet hours and vice versa.
  for (let i = 0; i < 4; i++) {
    const capped = nextAllowedByCap(t, recentSends, policy.frequencyCap);
    if (capped > t) reason ??= 'frequency_cap';
    const quiet = nextAllowedByQuietHours(capped, lead.timezone ?? undefined, policy.quietHours);
    if (quiet > capped) reason ??= 'quiet_hours';
    if (quiet === t) break;
    t = quiet;
  }
  return { at: t, reason: t > at ? reason : undefined };
}
