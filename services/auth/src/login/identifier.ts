import { canonicalEmail, InvalidEmailError, normalizeUsername } from '../credentials/index.js';

/** What a login identifier names: an e-mail address or a username, in its stored form. */
export type LoginIdentifier =
  { kind: 'email'; canonical: string } | { kind: 'username'; canonical: string };

/**
 * The stored form of what the user typed. Anything with an '@' is an address (usernames cannot
 * contain one); an address that cannot be canonicalised matches no account, but still goes
 * through the same throttle and dummy hash as any unknown identifier.
 */
export function parseLoginIdentifier(raw: string): LoginIdentifier {
  const typed = raw.trim();
  if (!typed.includes('@')) return { kind: 'username', canonical: normalizeUsername(typed) };
  try {
    return { kind: 'email', canonical: canonicalEmail(typed) };
  } catch (err) {
    if (err instanceof InvalidEmailError) return { kind: 'email', canonical: typed.toLowerCase() };
    throw err;
  }
}
