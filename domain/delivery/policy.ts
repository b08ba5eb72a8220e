// When may we email a lead? Quiet hours in the lead's own time zone and a rolling frequency cap.
// Pure: the send activity asks, and defers (never drops) a send that is not allowed yet.
//
// - Quiet hours are whole local hours [start, end), wrapping midnight when start > end (21 → 8 means
//   21:00-07:59). Local time comes from the IANA zone on the lead (Intl, so DST is handled: on a
//   spring-forward night the quiet period is one real hour shorter, on a fall-back night one longer).
//   A lead without a (valid) time zone is not held by quiet hours: we cannot know its night.
// - The frequency cap counts marketing sends (not sales notifications) in the rolling window ending
//   now; a send is allowed while fewer than `max` are in it, else when the oldest one that must leave
//   the window has left it.
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

/** Throws a readable error for a policy that could never (or always) allow a send. */
export function assertValidPolicy(policy: DeliveryPolicy): void {
  const q = policy.quietHours;
  if (q) {
    for (const [k, v] of Object.entries(q)) {
      if (!Number.isInteger(v) || v < 0 || v > 23)
        throw new Error(`quietHours.${k}: must be a whole hour 0-23, got ${v}`);
    }
    if (q.start === q.end)
      throw new Error('quietHours: start and end are equal; use null for no quiet hours');
  }
  const c = policy.frequencyCap;
  if (c) {
    if (!Number.isInteger(c.max) || c.max < 1)
      throw new Error(`frequencyCap.max: must be a positive integer, got ${c.max}`);
    if (!Number.isFinite(c.windowMs) || c.windowMs <= 0)
      throw new Error(`frequencyCap.windowMs: must be positive, got ${c.windowMs}`);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** A cached formatter for the zone, or null when the zone is unknown to Intl. */
function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
    } catch {
      f = null;
    }
    if (formatters.size > 1000) formatters.clear();
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local hour (0-23) at instant `at` in `timeZone`. */
export function localHour(at: number, timeZone: string): number {
  const f = formatterFor(timeZone);
  if (!f) throw new RangeError(`unknown time zone '${timeZone}'`);
  return Number(f.formatToParts(at).find((p) => p.type === 'hour')?.value ?? 0);
}

export function isInQuietHours(
  at: number,
  timeZone: string | undefined,
  quiet: DeliveryPolicy['quietHours'],
): boolean {
  if (!quiet || !timeZone || !formatterFor(timeZone)) return false;
  const hour = localHour(at, timeZone);
  return quiet.start > quiet.end
    ? hour >= quiet.start || hour < quiet.end
    : hour >= quiet.start && hour < quiet.end;
}

const STEP_MS = 15 * 60_000; // every zone in use today is offset by a multiple of 15 minutes

/** The first moment at or after `at` outside quiet hours: the local hour `end` starts, or `at` itself. */
export function nextAllowedByQuietHours(
  at: number,
  timeZone: string | undefined,
  quiet: DeliveryPolicy['quietHours'],
): number {
  if (!isInQuietHours(at, timeZone, quiet)) return at;
  let t = Math.ceil(at / STEP_MS) * STEP_MS;
  // 25 hours of steps: a quiet period is at most 23 local hours, plus one on a fall-back night.
  for (let i = 0; i < 25 * 4 && isInQuietHours(t, timeZone, quiet); i++) t += STEP_MS;
  return t;
}

/** When the cap allows the next send, given the send times in the window (any order). */
export function nextAllowedByCap(
  at: number,
  recentSends: readonly number[],
  cap: DeliveryPolicy['frequencyCap'],
): number {
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
  // The cap never gets stricter as time moves on (past sends only leave the window), so one pass
  // of cap then quiet hours is the earliest moment both allow.
  const capped = nextAllowedByCap(at, recentSends, policy.frequencyCap);
  const t = nextAllowedByQuietHours(capped, lead.timezone ?? undefined, policy.quietHours);
  if (t === at) return { at };
  return { at: t, reason: capped > at ? 'frequency_cap' : 'quiet_hours' };
}
