// Delivery policy (domain/delivery/policy.ts): quiet hours in the lead's time zone, DST edges, the
// rolling frequency cap and how the two combine. Pure functions, no I/O.
import { describe, expect, it } from 'vitest';
import {
  assertValidPolicy,
  DEFAULT_POLICY,
  type DeliveryPolicy,
  isInQuietHours,
  localHour,
  nextAllowedByCap,
  nextAllowedByQuietHours,
  nextAllowedSend,
} from '../../domain/delivery/policy.ts';

const H = 3_600_000;
const DAY = 24 * H;
const utc = (iso: string) => Date.parse(iso);
const NIGHT = { start: 21, end: 8 };

describe('quiet hours', () => {
  it('uses the lead’s own time zone', () => {
    // 02:00 UTC is 21:00 in New York (EST, UTC-5) and 03:00 in Berlin (CET, UTC+1) in January.
    const at = utc('2025-01-15T02:00:00Z');
    expect(localHour(at, 'America/New_York')).toBe(21);
    expect(localHour(at, 'Europe/Berlin')).toBe(3);
    expect(isInQuietHours(at, 'America/New_York', NIGHT)).toBe(true);
    expect(isInQuietHours(at, 'Asia/Tokyo', NIGHT)).toBe(false); // 11:00
    // Berlin: deferred to 08:00 local = 07:00 UTC.
    expect(nextAllowedByQuietHours(at, 'Europe/Berlin', NIGHT)).toBe(utc('2025-01-15T07:00:00Z'));
    // New York: deferred to 08:00 EST next morning = 13:00 UTC.
    expect(nextAllowedByQuietHours(at, 'America/New_York', NIGHT)).toBe(utc('2025-01-15T13:00:00Z'));
  });

  it('lets a send outside quiet hours go at once, to the millisecond', () => {
    const at = utc('2025-01-15T10:17:23.456Z');
    expect(nextAllowedByQuietHours(at, 'Europe/London', NIGHT)).toBe(at);
  });

  it('treats the end hour as allowed and the start hour as quiet ([start, end))', () => {
    expect(isInQuietHours(utc('2025-01-15T08:00:00Z'), 'UTC', NIGHT)).toBe(false);
    expect(isInQuietHours(utc('2025-01-15T07:59:59Z'), 'UTC', NIGHT)).toBe(true);
    expect(isInQuietHours(utc('2025-01-15T20:59:59Z'), 'UTC', NIGHT)).toBe(false);
    expect(isInQuietHours(utc('2025-01-15T21:00:00Z'), 'UTC', NIGHT)).toBe(true);
  });

  it('supports a window that does not wrap midnight', () => {
    const lunch = { start: 12, end: 14 };
    expect(nextAllowedByQuietHours(utc('2025-01-15T12:40:00Z'), 'UTC', lunch)).toBe(
      utc('2025-01-15T14:00:00Z'),
    );
    expect(nextAllowedByQuietHours(utc('2025-01-15T23:40:00Z'), 'UTC', lunch)).toBe(
      utc('2025-01-15T23:40:00Z'),
    );
  });

  it('lands on the local hour in zones with half- and quarter-hour offsets', () => {
    // India is UTC+5:30, Nepal UTC+5:45: 08:00 local is 02:30 and 02:15 UTC.
    expect(nextAllowedByQuietHours(utc('2025-01-15T20:00:00Z'), 'Asia/Kolkata', NIGHT)).toBe(
      utc('2025-01-16T02:30:00Z'),
    );
    expect(nextAllowedByQuietHours(utc('2025-01-15T20:00:00Z'), 'Asia/Kathmandu', NIGHT)).toBe(
      utc('2025-01-16T02:15:00Z'),
    );
  });

  it('follows the clocks on a spring-forward night (one real hour shorter)', () => {
    // New York, 9 March 2025: 02:00 EST jumps to 03:00 EDT. At 01:00 EST (06:00 UTC) the next
    // allowed moment is 08:00 EDT = 12:00 UTC: six real hours, not seven.
    const at = utc('2025-03-09T06:00:00Z');
    expect(localHour(at, 'America/New_York')).toBe(1);
    expect(nextAllowedByQuietHours(at, 'America/New_York', NIGHT)).toBe(utc('2025-03-09T12:00:00Z'));
    // Quiet hours ending inside the skipped hour end when the clock jumps over it.
    const earlyMorning = { start: 0, end: 2 }; // 00:00-01:59 local
    expect(nextAllowedByQuietHours(utc('2025-03-09T06:30:00Z'), 'America/New_York', earlyMorning)).toBe(
      utc('2025-03-09T07:00:00Z'),
    );
  });

  it('follows the clocks on a fall-back night (one real hour longer)', () => {
    // Berlin, 26 October 2025: 03:00 CEST falls back to 02:00 CET. At 23:00 CEST (21:00 UTC on the
    // 25th) the next allowed moment is 08:00 CET = 07:00 UTC: ten real hours for nine local ones.
    const at = utc('2025-10-25T21:00:00Z');
    expect(localHour(at, 'Europe/Berlin')).toBe(23);
    expect(nextAllowedByQuietHours(at, 'Europe/Berlin', NIGHT)).toBe(utc('2025-10-26T07:00:00Z'));
    // The repeated 02:00 hour is quiet both times round.
    const repeated = { start: 2, end: 3 };
    expect(isInQuietHours(utc('2025-10-26T00:30:00Z'), 'Europe/Berlin', repeated)).toBe(true); // 02:30 CEST
    expect(isInQuietHours(utc('2025-10-26T01:30:00Z'), 'Europe/Berlin', repeated)).toBe(true); // 02:30 CET
    expect(nextAllowedByQuietHours(utc('2025-10-26T00:30:00Z'), 'Europe/Berlin', repeated)).toBe(
      utc('2025-10-26T02:00:00Z'),
    );
  });

  it('does not hold leads without a known time zone, or when switched off', () => {
    const at = utc('2025-01-15T02:00:00Z');
    expect(nextAllowedByQuietHours(at, undefined, NIGHT)).toBe(at);
    expect(nextAllowedByQuietHours(at, 'Not/AZone', NIGHT)).toBe(at);
    expect(nextAllowedByQuietHours(at, 'Europe/Berlin', null)).toBe(at);
    expect(() => localHour(at, 'Not/AZone')).toThrow(/unknown time zone/);
  });

  it('never defers by more than a day, whatever the instant and zone', () => {
    const zones = [
      'UTC',
      'America/Los_Angeles',
      'Europe/London',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
    ];
    for (const tz of zones) {
      for (let at = utc('2025-03-01T00:00:00Z'); at < utc('2025-03-04T00:00:00Z'); at += 37 * 60_000) {
        const next = nextAllowedByQuietHours(at, tz, NIGHT);
        expect(next).toBeGreaterThanOrEqual(at);
        expect(next - at).toBeLessThanOrEqual(12 * H);
        expect(isInQuietHours(next, tz, NIGHT)).toBe(false);
      }
    }
  });
});

describe('frequency cap', () => {
  const cap = { max: 2, windowMs: 7 * DAY };
  const t0 = utc('2025-01-01T12:00:00Z');

  it('allows sends while the rolling window holds fewer than max', () => {
    expect(nextAllowedByCap(t0, [], cap)).toBe(t0);
    expect(nextAllowedByCap(t0, [t0 - DAY], cap)).toBe(t0);
  });

  it('defers until the oldest send that must leave the window has left it', () => {
    const sends = [t0 - 3 * DAY, t0 - DAY];
    expect(nextAllowedByCap(t0, sends, cap)).toBe(t0 - 3 * DAY + 7 * DAY);
    // Order of the input does not matter.
    expect(nextAllowedByCap(t0, [...sends].reverse(), cap)).toBe(t0 + 4 * DAY);
  });

  it('ignores sends that already left the window; the window is open at its start (t > at - window)', () => {
    expect(nextAllowedByCap(t0, [t0 - 8 * DAY, t0 - 7 * DAY, t0 - DAY], cap)).toBe(t0);
  });

  it('waits for enough sends to leave when the window is over-full', () => {
    const sends = [t0 - 5 * DAY, t0 - 4 * DAY, t0 - DAY];
    // Two must leave before a third fits: the second oldest leaves at t0 + 3 days.
    expect(nextAllowedByCap(t0, sends, cap)).toBe(t0 + 3 * DAY);
  });

  it('is off when null', () => {
    expect(nextAllowedByCap(t0, [t0, t0, t0], null)).toBe(t0);
  });
});

describe('nextAllowedSend: cap and quiet hours together', () => {
  const policy: DeliveryPolicy = { quietHours: NIGHT, frequencyCap: { max: 1, windowMs: DAY } };

  it('sends now when both allow it', () => {
    const at = utc('2025-01-15T10:00:00Z');
    expect(nextAllowedSend(at, { timezone: 'UTC' }, [], policy)).toEqual({ at });
  });

  it('names quiet hours when only they hold the send', () => {
    const at = utc('2025-01-15T22:00:00Z');
    expect(nextAllowedSend(at, { timezone: 'UTC' }, [], policy)).toEqual({
      at: utc('2025-01-16T08:00:00Z'),
      reason: 'quiet_hours',
    });
  });

  it('moves past quiet hours when the cap frees up during the night', () => {
    // Last send at 23:30 yesterday: the cap frees at 23:30 today, which is quiet → 08:00 tomorrow.
    const at = utc('2025-01-15T10:00:00Z');
    const res = nextAllowedSend(at, { timezone: 'UTC' }, [utc('2025-01-14T23:30:00Z')], policy);
    expect(res).toEqual({ at: utc('2025-01-16T08:00:00Z'), reason: 'frequency_cap' });
  });

  it('only applies the cap to a lead without a time zone', () => {
    const at = utc('2025-01-15T02:00:00Z');
    expect(nextAllowedSend(at, { timezone: null }, [], policy)).toEqual({ at });
    expect(nextAllowedSend(at, {}, [at - H], policy)).toEqual({ at: at - H + DAY, reason: 'frequency_cap' });
  });
});

describe('policy validation', () => {
  it('accepts the defaults: quiet 21:00-08:00 local, at most 3 marketing emails per 7 days', () => {
    expect(DEFAULT_POLICY).toEqual({
      quietHours: { start: 21, end: 8 },
      frequencyCap: { max: 3, windowMs: 7 * DAY },
    });
    expect(() => assertValidPolicy(DEFAULT_POLICY)).not.toThrow();
    expect(() => assertValidPolicy({ quietHours: null, frequencyCap: null })).not.toThrow();
  });

  it('refuses policies that make no sense, naming the field', () => {
    expect(() => assertValidPolicy({ quietHours: { start: 21, end: 24 }, frequencyCap: null })).toThrow(
      /quietHours\.end/,
    );
    expect(() => assertValidPolicy({ quietHours: { start: 7.5, end: 8 }, frequencyCap: null })).toThrow(
      /quietHours\.start/,
    );
    expect(() => assertValidPolicy({ quietHours: { start: 8, end: 8 }, frequencyCap: null })).toThrow(
      /equal/,
    );
    expect(() => assertValidPolicy({ quietHours: null, frequencyCap: { max: 0, windowMs: DAY } })).toThrow(
      /frequencyCap\.max/,
    );
    expect(() => assertValidPolicy({ quietHours: null, frequencyCap: { max: 1, windowMs: 0 } })).toThrow(
      /frequencyCap\.windowMs/,
    );
  });
});
