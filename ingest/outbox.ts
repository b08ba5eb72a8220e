// Events accepted while Temporal was unreachable are stored undelivered (deliveredAt = null); this
// loop delivers them once it is back, oldest first. Delivery is idempotent: the workflow ignores an
// event id it has seen, so an event delivered twice (signal sent, marking failed) is harmless.
import { deliverEvent, errorSummary, type IngestContext } from './events.ts';

/** gRPC INVALID_ARGUMENT: this event can never be delivered as is; skip it rather than block the rest. */
const isPermanent = (err: unknown) => {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  return e?.code === 3 || e?.cause?.code === 3;
};

/**
 * Delivers up to `limit` pending events received at least `minAgeMs` ago (younger ones are most
 * likely still being delivered by their request); stops at the first transient failure.
 */
export async function deliverPending(ctx: IngestContext, limit = 500, minAgeMs = 0): Promise<number> {
  const pending = await ctx.db.engagementEvent.findMany({
    where: { deliveredAt: null, receivedAt: { lte: new Date(Date.now() - minAgeMs) } },
    orderBy: { receivedAt: 'asc' },
    take: limit,
    select: { id: true },
  });
  let delivered = 0;
  for (const { id } of pending) {
    try {
      if (await deliverEvent(ctx, id)) delivered++;
    } catch (err) {
      ctx.log?.warn({ err: errorSummary(err), eventId: id }, 'outbox: delivery failed');
      if (!isPermanent(err)) break; // still down: try again later
    }
  }
  return delivered;
}

export function startOutbox(ctx: IngestContext, everyMs = 5_000, minAgeMs = 15_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deliverPending(ctx, 500, minAgeMs)
      .catch(() => 0)
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
