import type { UserApp, UserAreaParts } from '../app.js';

/** The notifications area's handlers, consumers and daemons. */
export function notificationsParts(_app: UserApp): UserAreaParts {
  return {};
}
