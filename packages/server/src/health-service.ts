import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { ConnectRouter } from '@connectrpc/connect';
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
} from '@kith/gen/grpc/health/v1/health_pb.js';
import type { HealthState } from './health-state.js';

export interface HealthServiceOptions {
  state: HealthState;
  /** Service names answered individually; "" (the whole server) is always known. */
  serviceNames: () => readonly string[];
  /** How often a Watch stream re-runs readiness checks to notice a failing dependency. */
  watchIntervalMs: number;
}

/** grpc.health.v1: SERVING when ready; NOT_SERVING while draining or a readiness check fails. */
export function registerHealth(router: ConnectRouter, options: HealthServiceOptions): void {
  const { state } = options;
  const known = (service: string): boolean =>
    service === '' || options.serviceNames().includes(service);
  const status = async (): Promise<ServingStatus> =>
    (await state.report()).ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;

  router.service(Health, {
    async check(req) {
      if (!known(req.service)) throw new ConnectError('unknown service', Code.NotFound);
      return create(HealthCheckResponseSchema, { status: await status() });
    },
    async *watch(req, ctx) {
      if (!known(req.service)) {
        // The protocol keeps the stream open for unknown services; our service set is fixed.
        yield create(HealthCheckResponseSchema, { status: ServingStatus.SERVICE_UNKNOWN });
        return;
      }
      let last: ServingStatus | undefined;
      for (;;) {
        const current = await status();
        if (current !== last) {
          yield create(HealthCheckResponseSchema, { status: current });
          last = current;
        }
        // Ending the stream on drain is valid: clients re-watch (with backoff) elsewhere.
        if (state.isDraining || ctx.signal.aborted) return;
        await nextChange(state, options.watchIntervalMs, ctx.signal);
      }
    },
  });
}

function nextChange(state: HealthState, intervalMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      state.events.off('change', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, intervalMs);
    state.events.on('change', done);
    signal.addEventListener('abort', done);
  });
}
