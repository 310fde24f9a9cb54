// Helper for this folder's sign-up tests (not shipped code paths: imported by *.test.ts only).
import { CONSENT, deviceClient, uniqueUser } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

/** Registers from a fresh address, and no more (not verified, not signed in); returns what was sent. */
export async function registerUser(
  h: AuthHarness,
  user: Partial<ReturnType<typeof uniqueUser>> = {},
): Promise<ReturnType<typeof uniqueUser>> {
  const chosen = { ...uniqueUser(), ...user };
  await deviceClient(h).register({ ...chosen, consent: CONSENT });
  return chosen;
}
