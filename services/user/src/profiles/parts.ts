import type { UserApp, UserAreaParts } from '../app.js';
import { profilesFromAuthEvents } from './from-auth-events.js';

/** Profiles, settings and search: handlers, consumers and daemons. */
export function profilesParts(_app: UserApp): UserAreaParts {
  return { consumers: [profilesFromAuthEvents] };
}
