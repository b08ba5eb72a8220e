// What we know about a lead: the inputs of fit scoring and of personalisation.
import { z } from 'zod';

export const Seniority = z.enum(['c_level', 'vp', 'director', 'manager', 'individual', 'student', 'unknown']);
export type Seniority = z.infer<typeof Seniority>;

export const LeadProfile = z.object({
  email: z.string().email().max(254).optional(),
  firstName: z.string().max(100).optional(),
  lastName: z.string().max(100).optional(),
  company: z.string().max(200).optional(),
  title: z.string().max(200).optional(),
  seniority: Seniority.optional(),
  /** Can sign or strongly influence the purchase. */
  decisionMaker: z.boolean().optional(),
  companySize: z.number().int().nonnegative().optional(),
  industry: z.string().max(100).optional(),
  /** ISO 3166-1 alpha-2. */
  country: z.string().length(2).optional(),
  /** IANA time zone, used for quiet hours. */
  timezone: z.string().max(64).optional(),
  /** Months until the lead plans to buy, as stated on a form. */
  purchaseTimelineMonths: z.number().int().min(0).max(120).optional(),
  /** Where this purchase ranks among the lead's priorities (1 = top). */
  priorityRank: z.number().int().min(1).max(100).optional(),
  competingProposals: z.boolean().optional(),
  /** Custom attributes (CRM fields, tags). */
  fields: z.record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean()])).default({}),
  tags: z.array(z.string().max(64)).max(100).default([]),
});
export type LeadProfile = z.infer<typeof LeadProfile>;
export type LeadProfileInput = z.input<typeof LeadProfile>;

/** Lower-cases and trims an address so "Ann@X.com " and "ann@x.com" are one lead. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
