import { appliedEdgeVersionMigrations } from '@kith/db';
import type { MigrationSet } from '@kith/db';
import { createPosts } from './20261205T1200_posts.js';
import { addModeration } from './20261205T1300_moderation.js';
import { addHomeTimelines } from './20261205T1500_home_timelines.js';
import { createMedia } from './20261205T1400_media.js';
import { addMediaTranscoding } from './20261206T1200_media_transcoding.js';

/** The post service's own migrations, in order (platform tables come first). */
export const postMigrations: MigrationSet = {
  // The newest version applied per follow, block and mute edge (applyEdgeEvent).
  ...appliedEdgeVersionMigrations,
  '20261205T1200_posts': createPosts,
  '20261205T1300_moderation': addModeration,
  '20261205T1400_media': createMedia,
  '20261205T1500_home_timelines': addHomeTimelines,
  '20261206T1200_media_transcoding': addMediaTranscoding,
};
