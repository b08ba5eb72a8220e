// Owner routing as code: account owner first, then territory, then a balanced round robin.
// Pure and deterministic (the round robin is a stable hash of the lead id), so the handoff workflow
// can route without I/O and a replay routes the same way.
import { z } from 'zod';
import { stableHash } from '../sequence/match.ts';

export const SalesRep = z.object({
  email: z.string().email(),
  /** ISO country codes this rep covers; empty = anywhere. */
  territories: z.array(z.string().length(2)).default([]),
  manager: z.string().email().optional(),
});
export const SalesTeam = z.object({
  reps: z.array(SalesRep).min(1, 'at least one sales rep is needed'),
  manager: z.string().email(),
  /** Company (lower-case) → owning rep's email: named accounts go to their owner. */
  accounts: z.record(z.string(), z.string().email()).default({}),
});
export type SalesRep = z.infer<typeof SalesRep>;
export type SalesTeam = z.infer<typeof SalesTeam>;

export function routeOwner(
  team: SalesTeam,
  lead: { leadId: string; profile: { company?: string; country?: string } },
): SalesRep {
  const company = lead.profile.company?.trim().toLowerCase();
  const accountOwner = company ? team.accounts[company] : undefined;
  if (accountOwner)
    return team.reps.find((r) => r.email === accountOwner) ?? { email: accountOwner, territories: [] };
  const country = lead.profile.country?.toUpperCase();
  const local = country ? team.reps.filter((r) => r.territories.includes(country)) : [];
  const pool = local.length ? local : team.reps.filter((r) => r.territories.length === 0);
  const candidates = pool.length ? pool : team.reps;
  return candidates[stableHash(lead.leadId) % candidates.length] as SalesRep;
}
