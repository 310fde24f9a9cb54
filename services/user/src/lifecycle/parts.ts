import type { UserApp, UserAreaParts } from '../app.js';

/** The lifecycle area's handlers, consumers and daemons. */
export function lifecycleParts(_app: UserApp): UserAreaParts {
  return {};
}
