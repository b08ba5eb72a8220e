// Events accepted while Temporal was unreachable are stored undelivered; this loop delivers them
// once it is back, oldest first. Delivery is idempotent: the workflow ignores an event id it has seen.
import { deliverEvent, type IngestContext } from './events.ts';

export async function deliverPending(ctx: IngestContext, limit = 500): Promise<number> {
  const pending = await ctx.db.engagementEvent.findMany({
    where: { deliveredAt: null },
    orderBy: { receivedAt: 'asc' },
    take: limit,
    select: { id: true },
  });
  let delivered = 0;
  for (const { id } of pending) {
    if (!(await deliverEvent(ctx, id).catch(() => false))) break; // still down: try again later
    delivered++;
  }
  return delivered;
}

export function startOutbox(ctx: IngestContext, everyMs = 5_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deliverPending(ctx)
      .catch(() => 0)
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
