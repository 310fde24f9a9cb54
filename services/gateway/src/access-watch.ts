import { decodeEvent } from '@kith/bus';
import type { Bus, LiveSubscription } from '@kith/bus';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import type { ServiceContext } from '@kith/runtime';
import { ACCESS_EVENT_SUBJECTS, accessChange } from './routing/access-changes.js';
import type { Recheck } from './routing/access-changes.js';

/**
 * When a lagging change is asked about again: at once, then after the owning service's
 * projection has had time to apply the event (it usually has within a second).
 */
export const LAGGING_RECHECKS_MS: readonly number[] = [0, 1_000, 5_000];

/**
 * Keeps post subscriptions current on this process: listens live to the events that may end a
 * reader's access without a frame saying so (routing/access-changes.ts) and has the affected
 * topics authorised again on every local socket. When the feed may have missed events (the
 * broker connection dropped), every post topic held here is authorised again.
 */
export function watchAccess(deps: {
  bus: Pick<Bus, 'subscribeLive'>;
  recheck(check: Recheck): void;
  logger: ServiceContext['logger'];
  laggingRechecksMs?: readonly number[];
}): { stop(): void } {
  const lagging = deps.laggingRechecksMs ?? LAGGING_RECHECKS_MS;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const schedule = (rechecks: Recheck[], delays: readonly number[]) => {
    for (const delay of delays) {
      const run = () => {
        for (const check of rechecks) deps.recheck(check);
      };
      if (delay === 0) {
        run();
        continue;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopped) run();
      }, delay);
      timers.add(timer);
    }
  };

  const onEvent = (data: Uint8Array) => {
    let envelope: Envelope;
    try {
      envelope = decodeEvent(data);
    } catch (err) {
      deps.logger.warn({ err }, 'undecodable event ignored by the access watch');
      return;
    }
    const change = accessChange(envelope);
    if (change) schedule(change.rechecks, change.lagging ? lagging : [0]);
  };

  // Every subject reports the same interruption: one re-check of everything per turn.
  let interrupted = false;
  const onInterrupted = () => {
    if (interrupted) return;
    interrupted = true;
    setImmediate(() => {
      interrupted = false;
      if (!stopped) schedule([{ of: 'kind', kind: 'post' }], lagging);
    });
  };

  const subscriptions: LiveSubscription[] = ACCESS_EVENT_SUBJECTS.map((subject) =>
    deps.bus.subscribeLive(subject, (msg) => onEvent(msg.data), { onInterrupted }),
  );
  return {
    stop() {
      stopped = true;
      for (const subscription of subscriptions) subscription.unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
