import type { ServiceImpl } from '@connectrpc/connect';
import type { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { signedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { cancelCheckIn, checkIn, extendCheckIn, listCheckIns } from './answer.js';
import { requestCheckIn, startCheckIn } from './start.js';

/**
 * Check-in timers: the owner's start, check in, extend, cancel and list, and a circle member's
 * "are you OK?". Every RPC needs a signed-in caller; retries are deduplicated by the
 * idempotency interceptor. The timers themselves run in runCheckInTimers (timers.ts).
 */
export function checkInHandlers(app: SupportApp): Partial<ServiceImpl<typeof SupportService>> {
  return {
    startCheckIn: (req, ctx) => startCheckIn(app, signedInCaller(app, ctx), req),
    async checkIn(req, ctx) {
      return { checkIn: await checkIn(app, signedInCaller(app, ctx), req) };
    },
    async extendCheckIn(req, ctx) {
      return { checkIn: await extendCheckIn(app, signedInCaller(app, ctx), req) };
    },
    async cancelCheckIn(req, ctx) {
      await cancelCheckIn(app, signedInCaller(app, ctx), req);
      return {};
    },
    async requestCheckIn(req, ctx) {
      return { checkIn: await requestCheckIn(app, signedInCaller(app, ctx), req) };
    },
    listCheckIns: (req, ctx) => listCheckIns(app, signedInCaller(app, ctx), req),
  };
}
