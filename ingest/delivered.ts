// Group commit for "delivered" marks: each delivered event must be marked (or the outbox delivers
// it again), but one UPDATE per event costs a database round trip per request. While one UPDATE is
// in flight, the marks that arrive wait and go together in the next one: no added latency when
// idle, one statement for many events under load. Each caller still waits for its own mark.
import type { Db } from '../db/client.ts';

interface Waiting {
  id: string;
  done: (err?: unknown) => void;
}

export function createDeliveredMarker(db: Db, maxBatch = 500) {
  let waiting: Waiting[] = [];
  let inFlight = false;

  const flush = () => {
    if (inFlight || waiting.length === 0) return;
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(batch.length);
    inFlight = true;
    // Started inside a promise chain: a synchronous throw is a rejection too, and clears inFlight.
    Promise.resolve()
      .then(() =>
        db.engagementEvent.updateMany({
          where: { id: { in: batch.map((w) => w.id) } },
          data: { deliveredAt: new Date() },
        }),
      )
      .then(
        () => {
          for (const w of batch) w.done();
        },
        (err: unknown) => {
          for (const w of batch) w.done(err);
        },
      )
      .finally(() => {
        inFlight = false;
        flush();
      });
  };

  return {
    mark(id: string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ id, done: (err) => (err === undefined ? resolve() : reject(err)) });
        flush();
      });
    },
  };
}

const markers = new WeakMap<Db, ReturnType<typeof createDeliveredMarker>>();

/** The marker of this database client (one per client, created on first use). */
export function deliveredMarker(db: Db) {
  let marker = markers.get(db);
  if (!marker) {
    marker = createDeliveredMarker(db);
    markers.set(db, marker);
  }
  return marker;
}
