import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** The gateway's own metrics (the fan-out latency histogram lives with the fan-out). */
export interface GatewayMetrics {
  sockets: Gauge;
  rejected: Counter<'status'>;
  subscriptions: Gauge;
  /** Event frames sent to sockets: a plain tally (the hot path), read at each scrape. */
  framesOut: { count: number };
  slowConsumerCuts: Counter;
  resumes: Counter;
  gaps: Counter<'reason'>;
}

export function gatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  const framesOut = { count: 0 };
  new Counter({
    name: 'kith_gateway_frames_out_total',
    help: 'Event frames sent to sockets (live and replayed)',
    registers,
    collect() {
      this.reset();
      this.inc(framesOut.count);
    },
  });
  return {
    framesOut,
    sockets: new Gauge({
      name: 'kith_gateway_sockets',
      help: 'Open WebSocket connections on this gateway process',
      registers,
    }),
    rejected: new Counter({
      name: 'kith_gateway_upgrades_rejected_total',
      help: 'WebSocket upgrade requests refused, by HTTP status',
      labelNames: ['status'],
      registers,
    }),
    subscriptions: new Gauge({
      name: 'kith_gateway_subscriptions',
      help: 'Topics held by the sockets of this process (one per socket and topic)',
      registers,
    }),
    slowConsumerCuts: new Counter({
      name: 'kith_gateway_slow_consumer_cuts_total',
      help: 'Sockets closed (4429) because they did not read fast enough',
      registers,
    }),
    resumes: new Counter({
      name: 'kith_gateway_resumes_total',
      help: 'Resume frames handled',
      registers,
    }),
    gaps: new Counter({
      name: 'kith_gateway_gaps_total',
      help: 'Gap frames sent, by reason',
      labelNames: ['reason'],
      registers,
    }),
  };
}
