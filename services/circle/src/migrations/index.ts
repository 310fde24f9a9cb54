import type { MigrationSet } from '@kith/db';
import { createCircles } from './20261204T1400_circles.js';

/** The circle service's own migrations, in order (platform tables come first). */
export const circleMigrations: MigrationSet = {
  '20261204T1400_circles': createCircles,
};
