import { authModule } from '@kith/auth-service';
import { circleModule } from '@kith/circle-service';
import { gatewayModule } from '@kith/gateway';
import { moderationModule } from '@kith/moderation-service';
import { postModule } from '@kith/post-service';
import type { ServiceModule } from '@kith/runtime';
import { supportModule } from '@kith/support-service';
import { userModule } from '@kith/user-service';

/** Every Kith process, in start order. */
export const allModules: ServiceModule[] = [
  authModule,
  userModule,
  postModule,
  circleModule,
  supportModule,
  moderationModule,
  gatewayModule,
];
