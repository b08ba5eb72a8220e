// GDPR erasure in the database, shared by the journey's eraseLead activity and the API's direct
// path (when no journey runs): personal data goes, anonymous rows stay so funnel counts remain true.
import type { Db } from './client.ts';

export async function eraseLeadData(db: Db, leadId: string, at = new Date()): Promise<void> {
  await db.$transaction([
    db.lead.updateMany({
      where: { id: leadId },
      data: {
        email: null,
        firstName: null,
        lastName: null,
        company: null,
        title: null,
        country: null,
        timezone: null,
        profile: {},
        erasedAt: at,
      },
    }),
    // Event properties can hold form fields; subjects are personalised; `feedback` names who answered.
    db.engagementEvent.updateMany({ where: { leadId }, data: { properties: {} } }),
    db.message.updateMany({ where: { leadId }, data: { subject: null, error: null } }),
    db.handoff.updateMany({ where: { leadId }, data: { feedback: null } }),
  ]);
}
