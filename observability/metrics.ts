// Prometheus metrics for the API process (prom-client). Labels carry route templates and outcomes
// only, never addresses or ids, so a scrape holds no personal data. The worker's own metrics
// (task latencies, schedule-to-start, sticky cache) come from the Temporal SDK's Prometheus exporter:
// see `WORKER_METRICS_ADDRESS` in worker/main.ts.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client.ts';

export type IngestOutcome = 'delivered' | 'stored_undelivered' | 'duplicate';

export interface ApiMetrics {
  registry: Registry;
  /** One observation per answered request, by route template and status. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** One per ingested event, whatever door it came through (events, batch, forms, imports). */
  countIngested(outcome: IngestOutcome): void;
}

export function createApiMetrics(db?: Db): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'lne_api_' });
  const requests = new Histogram({
    name: 'lne_http_request_duration_seconds',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const ingested = new Counter({
    name: 'lne_events_ingested_total',
    help: 'Events accepted by the API, by outcome (stored_undelivered: left to the outbox)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  if (db) {
    const backlogErrors = new Counter({
      name: 'lne_events_undelivered_read_errors_total',
      help: 'Scrapes where the outbox backlog could not be read (database unreachable)',
      registers: [registry],
    });
    // Read at scrape time: the outbox backlog is what an operator alerts on when Temporal is down.
    new Gauge({
      name: 'lne_events_undelivered',
      help: 'Stored events not yet delivered to a workflow (the outbox backlog)',
      registers: [registry],
      async collect() {
        // A database outage must not take the whole scrape down: keep the last value, count the miss.
        try {
          this.set(await db.engagementEvent.count({ where: { deliveredAt: null } }));
        } catch {
          backlogErrors.inc();
        }
      },
    });
  }
  return {
    registry,
    observeRequest: (method, route, status, seconds) =>
      requests.observe({ method, route, status: String(status) }, seconds),
    countIngested: (outcome) => ingested.inc({ outcome }),
  };
}

export const ingestOutcome = (r: { duplicate: boolean; delivered: boolean }): IngestOutcome =>
  r.duplicate ? 'duplicate' : r.delivered ? 'delivered' : 'stored_undelivered';
