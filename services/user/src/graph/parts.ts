import type { UserApp, UserAreaParts } from '../app.js';

/** The graph area's handlers, consumers and daemons. */
export function graphParts(_app: UserApp): UserAreaParts {
  return {};
}
