import { InvalidArgumentError } from '@kith/errors';

/** Links in plain text: never parsed for mentions or hashtags (a URL's `#fragment` is no tag). */
const LINK = /\bhttps?:\/\/[^\s<>"]+/giu;
/** `@username` not glued to a word or an e-mail address before it. */
const MENTION = /(?<![\p{L}\p{N}_@.])@([A-Za-z0-9_]{3,30})(?![A-Za-z0-9_@])/gu;
/** `#tag` of letters, digits and underscores, at least one of them not a digit. */
const HASHTAG = /(?<![\p{L}\p{N}_#&])#([\p{L}\p{M}\p{N}_]{1,100})/gu;
/** Control characters other than tab and newlines, and the bidi overrides used for spoofing. */
const FORBIDDEN = /[^\P{Cc}\t\n\r]|[\u202A-\u202E\u2066-\u2069]/u;

export interface ParsedText {
  /** Usernames mentioned, lower-cased, in order of first appearance. */
  usernames: string[];
  /** Hashtags, lower-cased (NFC), in order of first appearance. */
  hashtags: string[];
  links: string[];
}

/** The entities of a post's plain text, derived by the server (nothing is markup). */
export function parseText(text: string): ParsedText {
  const links = [...text.matchAll(LINK)].map((m) => m[0]);
  const withoutLinks = text.replace(LINK, ' ');
  const usernames = unique([...withoutLinks.matchAll(MENTION)].map((m) => m[1]!.toLowerCase()));
  const hashtags = unique(
    [...withoutLinks.matchAll(HASHTAG)]
      .map((m) => m[1]!.normalize('NFC').toLowerCase())
      .filter((tag) => !/^\p{N}+$/u.test(tag)),
  );
  return { usernames, hashtags, links };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * Refuses control characters and bidi overrides in the fields a reader sees (InvalidArgument on
 * each field that has them); text is kept as written otherwise.
 */
export function requirePlainText(fields: Record<string, string | undefined>): void {
  const bad = Object.entries(fields).filter(([, v]) => v !== undefined && FORBIDDEN.test(v));
  if (bad.length === 0) return;
  throw new InvalidArgumentError(
    bad.map(([field]) => ({
      field,
      message: 'must not contain control characters',
      ruleId: 'post.plain_text',
    })),
    'invalid text',
  );
}
