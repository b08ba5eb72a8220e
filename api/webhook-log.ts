// The outgoing-webhook delivery log as read by the API and the dashboard: one status vocabulary
// (written by activities/webhooks.ts) and one query, newest first.
import { z } from 'zod';
import type { Db } from '../db/client.ts';

export const DeliveryStatus = z.enum(['pending', 'retrying', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export interface DeliveryFilter {
  status?: DeliveryStatus;
  event?: string;
  /** Only rows created before this instant (paging). */
  before?: Date;
  limit: number;
}

export async function webhookDeliveries(db: Db, f: DeliveryFilter) {
  const rows = await db.webhookDelivery.findMany({
    where: {
      ...(f.status ? { status: f.status } : {}),
      ...(f.event ? { event: f.event } : {}),
      ...(f.before ? { createdAt: { lt: f.before } } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: f.limit,
  });
  return rows.map((r) => ({ ...r, status: DeliveryStatus.catch('pending').parse(r.status) }));
}
