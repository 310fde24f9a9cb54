import type { UserApp, UserAreaParts } from '../app.js';

/** The push area's handlers, consumers and daemons. */
export function pushParts(_app: UserApp): UserAreaParts {
  return {};
}
