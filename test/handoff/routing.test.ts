// Owner routing as code: named accounts first, then territory, then a balanced round robin.
import { describe, expect, it } from 'vitest';
import { routeOwner, SalesTeam } from '../../domain/handoff/routing.ts';

const team = SalesTeam.parse({
  manager: 'vp@sales.test',
  reps: [
    { email: 'emea-1@sales.test', territories: ['DE', 'FR'] },
    { email: 'emea-2@sales.test', territories: ['DE'] },
    { email: 'na@sales.test', territories: ['US', 'CA'] },
    { email: 'any-1@sales.test' },
    { email: 'any-2@sales.test' },
  ],
  accounts: { 'globex corp': 'na@sales.test' },
});

describe('routeOwner', () => {
  it('gives a named account to its owner, whatever the territory', () => {
    expect(
      routeOwner(team, { leadId: 'l1', profile: { company: '  Globex Corp ', country: 'DE' } }).email,
    ).toBe('na@sales.test');
  });

  it('routes by territory, balancing among the reps who cover it', () => {
    const owners = new Set<string>();
    for (let i = 0; i < 200; i++)
      owners.add(routeOwner(team, { leadId: `lead-${i}`, profile: { country: 'de' } }).email);
    expect([...owners].sort()).toEqual(['emea-1@sales.test', 'emea-2@sales.test']);
    expect(routeOwner(team, { leadId: 'x', profile: { country: 'FR' } }).email).toBe('emea-1@sales.test');
  });

  it('sends leads without a covered territory to the generalists, evenly and stably', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const a = routeOwner(team, { leadId: `lead-${i}`, profile: { country: 'JP' } }).email;
      expect(routeOwner(team, { leadId: `lead-${i}`, profile: { country: 'JP' } }).email).toBe(a);
      counts[a] = (counts[a] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['any-1@sales.test', 'any-2@sales.test']);
    expect(Math.abs((counts['any-1@sales.test'] ?? 0) - 1000)).toBeLessThan(120);
  });

  it('refuses a team without reps, naming the field', () => {
    const r = SalesTeam.safeParse({ manager: 'vp@sales.test', reps: [] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['reps']);
    expect(r.error?.issues[0]?.message).toMatch(/at least one sales rep/);
  });
});
