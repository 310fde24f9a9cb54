import { InvalidArgumentError } from '@kith/errors';
import { hashPin, pinMatches } from '../pins/pin-hash.js';

/** The shortest word accepted once normalised (the proto's min_len counts the raw text). */
export const MIN_WORD_LENGTH = 3;

/**
 * A check-in word as compared: Unicode NFC, surrounding whitespace trimmed, lower case. Typed in
 * a hurry on a phone, "Blue Heron " and "blue heron" must be the same word; inner spaces count.
 */
export function normalizeWord(word: string): string {
  return word.normalize('NFC').trim().toLowerCase();
}

/** The hash stored for a new check-in's word (scrypt, as the SOS PINs). */
export async function hashWord(word: string): Promise<string> {
  const normalized = normalizeWord(word);
  if (normalized.length < MIN_WORD_LENGTH) {
    throw new InvalidArgumentError([
      {
        field: 'check_in_word',
        message: `the word needs at least ${MIN_WORD_LENGTH} characters besides spaces`,
      },
    ]);
  }
  return hashPin(normalized);
}

export function wordMatches(word: string, stored: string): Promise<boolean> {
  return pinMatches(normalizeWord(word), stored);
}
