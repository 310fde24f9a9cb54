import type { MigrationSet } from '@kith/db';
import { createCircles } from './20261204T1400_circles.js';
import { createInvites } from './20261204T1500_invites.js';
import { createBans } from './20261204T1530_bans.js';
import { createLinksAndRequests } from './20261204T1600_links_requests.js';
import { addCircleSearch } from './20261204T1630_circle_search.js';
import { prepareErasure } from './20261205T1000_erasure.js';
import { addCircleModeration } from './20261205T1100_moderation.js';
import { createHiddenPosts } from './20261206T1000_hidden_posts.js';
import { createCirclePurges } from './20261207T1000_circle_purges.js';

/** The circle service's own migrations, in order (platform tables come first). */
export const circleMigrations: MigrationSet = {
  '20261204T1400_circles': createCircles,
  '20261204T1500_invites': createInvites,
  '20261204T1530_bans': createBans,
  '20261204T1600_links_requests': createLinksAndRequests,
  '20261204T1630_circle_search': addCircleSearch,
  '20261205T1000_erasure': prepareErasure,
  '20261205T1100_moderation': addCircleModeration,
  '20261206T1000_hidden_posts': createHiddenPosts,
  '20261207T1000_circle_purges': createCirclePurges,
};
