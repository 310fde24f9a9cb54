import type { BlocksDb } from '../graph/visibility-store.js';
import type { ProfilesDb } from '../profiles/profile-store.js';

/**
 * Every table of the user schema. Each area declares the tables its store reads and writes
 * (`ProfilesDb`, `BlocksDb`, …); the service's database is their union.
 */
export type UserDatabase = ProfilesDb & BlocksDb;
