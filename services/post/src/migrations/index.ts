import { appliedEdgeVersionMigrations } from '@kith/db';
import type { MigrationSet } from '@kith/db';
import { createPosts } from './20261205T1200_posts.js';
import { addModeration } from './20261205T1300_moderation.js';

/** The post service's own migrations, in order (platform tables come first). */
export const postMigrations: MigrationSet = {
  // The newest version applied per follow, block and mute edge (applyEdgeEvent).
  ...appliedEdgeVersionMigrations,
  '20261205T1200_posts': createPosts,
  '20261205T1300_moderation': addModeration,
};
