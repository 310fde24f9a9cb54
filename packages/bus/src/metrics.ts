import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Metrics are looked up by name before being created so several consumers or relays can share
 * one registry; nothing is registered on prom-client's global default registry.
 */
function counter(registry: Registry, name: string, help: string, labelNames: string[]) {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[]) {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<string>;
  return new Gauge({ name, help, labelNames, registers: [registry] });
}

function histogram(registry: Registry, name: string, help: string, labelNames: string[]) {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<string>;
  return new Histogram({
    name,
    help,
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}

export function consumerMetrics(registry: Registry = new Registry()) {
  return {
    deliveries: counter(
      registry,
      'kith_bus_deliveries_total',
      'Deliveries handled by durable consumers, by outcome (ack, retry, dead_letter)',
      ['durable', 'outcome'],
    ),
  };
}
export type ConsumerMetrics = ReturnType<typeof consumerMetrics>;

export function outboxMetrics(registry: Registry = new Registry()) {
  return {
    published: counter(registry, 'kith_outbox_published_total', 'Outbox rows published', [
      'schema',
    ]),
    lag: gauge(
      registry,
      'kith_outbox_lag_seconds',
      'Age of the oldest unpublished outbox row (0 when empty)',
      ['schema'],
    ),
    purged: counter(registry, 'kith_outbox_purged_total', 'Published outbox rows purged', [
      'schema',
    ]),
  };
}
export type OutboxMetrics = ReturnType<typeof outboxMetrics>;

export function inboxMetrics(registry: Registry = new Registry()) {
  return {
    processed: counter(registry, 'kith_inbox_processed_total', 'Messages whose effect committed', [
      'consumer',
    ]),
    duplicates: counter(
      registry,
      'kith_inbox_duplicates_total',
      'Messages skipped because the inbox already held their id',
      ['consumer'],
    ),
    failed: counter(registry, 'kith_inbox_failed_total', 'Handler attempts that threw', [
      'consumer',
    ]),
    ignored: counter(
      registry,
      'kith_inbox_ignored_total',
      'Messages of a type the consumer ignores, acknowledged without a transaction',
      ['consumer'],
    ),
    deadLettered: counter(
      registry,
      'kith_inbox_dead_lettered_total',
      'Messages dead-lettered after the last allowed delivery',
      ['consumer'],
    ),
    duration: histogram(
      registry,
      'kith_inbox_handler_duration_seconds',
      'Handler transaction duration',
      ['consumer'],
    ),
  };
}
export type InboxMetrics = ReturnType<typeof inboxMetrics>;
