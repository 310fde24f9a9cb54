// Usernames are 3..30 of [A-Za-z0-9_] (also enforced by the proto). Two forms are stored: the
// lowercase `normalizeUsername` for case-insensitive uniqueness, and the `usernameSkeleton` so
// that look-alikes ('j0hn_doe' for 'johndoe') cannot be registered next to each other.

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 30;

export type UsernameProblem =
  | { code: 'too_short'; minLength: number }
  | { code: 'too_long'; maxLength: number }
  | { code: 'invalid_characters' }
  | { code: 'all_digits' }
  | { code: 'all_underscores' }
  | { code: 'leading_underscore' }
  | { code: 'trailing_underscore' }
  | { code: 'double_underscore' }
  | { code: 'reserved' };

/** The canonical form stored for case-insensitive uniqueness. */
export function normalizeUsername(raw: string): string {
  return raw.toLowerCase();
}

// Digits and letters that read as another letter in common UI fonts. 'j' joins 'i' and 'l':
// at small sizes a dotted j differs from i only by its descender ('iohndoe' / 'johndoe').
const CONFUSABLE_CHARACTERS: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'l',
  i: 'l',
  j: 'l',
  '5': 's',
};
const CONFUSABLE_SEQUENCES: readonly (readonly [string, string])[] = [
  ['rn', 'm'],
  ['vv', 'w'],
];

/**
 * A form in which look-alike usernames are equal; unique in the database alongside the
 * normalized name. Underscores go first, so 'r_n' also reads as 'm': collisions err towards
 * refusing a name, and the skeleton of a skeleton is itself.
 */
export function usernameSkeleton(raw: string): string {
  let skeleton = [...raw.toLowerCase().replaceAll('_', '')]
    .map((c) => CONFUSABLE_CHARACTERS[c] ?? c)
    .join('');
  for (const [from, to] of CONFUSABLE_SEQUENCES) skeleton = skeleton.replaceAll(from, to);
  return skeleton;
}

// Names a user could pass off as the platform or its staff, or that collide with routes and
// well-known mailboxes. Compared by skeleton, so 'adm1n' and 'Supp0rt' are reserved as well.
const RESERVED_NAMES = [
  'abuse',
  'account',
  'admin',
  'administrator',
  'anonymous',
  'api',
  'auth',
  'billing',
  'contact',
  'emergency',
  'everyone',
  'guest',
  'help',
  'helpdesk',
  'hostmaster',
  'info',
  'kith',
  'kith_official',
  'kith_support',
  'kith_team',
  'legal',
  'login',
  'mail',
  'mod',
  'moderator',
  'moderators',
  'noreply',
  'null',
  'official',
  'operator',
  'owner',
  'postmaster',
  'privacy',
  'register',
  'root',
  'safety',
  'security',
  'settings',
  'signup',
  'sos',
  'staff',
  'status',
  'superuser',
  'support',
  'sysadmin',
  'system',
  'team',
  'trust',
  'undefined',
  'webmaster',
  'www',
];
const RESERVED_SKELETONS: ReadonlySet<string> = new Set(RESERVED_NAMES.map(usernameSkeleton));

const USERNAME_CHARACTERS = /^[A-Za-z0-9_]+$/;

/** The first problem with a username being chosen, or null when it may be taken. */
export function checkUsername(raw: string): UsernameProblem | null {
  if (raw.length < USERNAME_MIN_LENGTH)
    return { code: 'too_short', minLength: USERNAME_MIN_LENGTH };
  if (raw.length > USERNAME_MAX_LENGTH) return { code: 'too_long', maxLength: USERNAME_MAX_LENGTH };
  if (!USERNAME_CHARACTERS.test(raw)) return { code: 'invalid_characters' };
  // All digits reads as an id or a phone number.
  if (/^[0-9]+$/.test(raw)) return { code: 'all_digits' };
  if (/^_+$/.test(raw)) return { code: 'all_underscores' };
  // Edge and doubled underscores are hard to see, and so to tell apart from the plain name.
  if (raw.startsWith('_')) return { code: 'leading_underscore' };
  if (raw.endsWith('_')) return { code: 'trailing_underscore' };
  if (raw.includes('__')) return { code: 'double_underscore' };
  if (RESERVED_SKELETONS.has(usernameSkeleton(raw))) return { code: 'reserved' };
  return null;
}
