import { defineService } from '@kith/runtime';
import { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';

/** Help requests, SOS, escalation, check-ins and location sharing (its own issue). */
export const supportModule = defineService({
  name: 'support',
  services: [SupportService],
  migrations: {},
  create: () => ({}),
});
