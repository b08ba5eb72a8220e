// Human durations ("90m", "3d", "2w") as milliseconds. Sequences are written by people; the
// interpreter only sees numbers.
const UNITS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

export type Duration = string | number;

export const MIN_WAIT_MS = 60_000; // one minute: anything shorter is a loop, not a nurture touch
export const MAX_WAIT_MS = 366 * 86_400_000; // a year: longer waits are a long-cycle sequence's job

export function parseDuration(input: Duration): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      throw new Error(`duration must be a non-negative number of ms, got ${input}`);
    return input;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/.exec(input);
  if (!match) throw new Error(`duration "${input}" is not like "90m", "3d" or "2w"`);
  return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
}

export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
