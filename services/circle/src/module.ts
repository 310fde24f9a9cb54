import { defineService } from '@kith/runtime';
import { CircleService } from '@kith/gen/kith/circle/v1/circle_pb.js';

/** Circles, memberships, roles, invitations and join requests (its own issue). */
export const circleModule = defineService({
  name: 'circle',
  services: [CircleService],
  migrations: {},
  create: () => ({}),
});
