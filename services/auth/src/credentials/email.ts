import { domainToASCII, domainToUnicode } from 'node:url';
import { InvalidArgumentError } from '@kith/errors';

export type InvalidEmailReason = 'missing_at' | 'empty_local_part' | 'invalid_domain';

/** An address that cannot be canonicalised; maps to InvalidArgument on `field`. */
export class InvalidEmailError extends InvalidArgumentError {
  constructor(
    readonly reason: InvalidEmailReason,
    field = 'email',
  ) {
    super([{ field, message: 'not a valid e-mail address' }], 'invalid e-mail address');
  }
}

// Gmail ignores dots and '+tags' in the local part, and googlemail.com is the same mailbox:
// without folding them one person could open any number of accounts on one inbox.
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

// A DNS hostname label: letters, digits and inner hyphens, 1..63 (RFC 1123).
const HOSTNAME_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The domain in lowercase ASCII (punycode for IDNs), or null when it is not a hostname. */
function asciiDomain(raw: string): string | null {
  // domainToASCII lowercases and maps full-width forms; it returns '' for what it cannot parse.
  let domain = domainToASCII(raw.trim());
  if (domain.endsWith('.')) domain = domain.slice(0, -1); // 'example.com.' is 'example.com'
  const labels = domain.split('.');
  const ok =
    domain.length > 0 &&
    domain.length <= 253 &&
    labels.every((label) => HOSTNAME_LABEL.test(label)) &&
    !/^[0-9]+$/.test(labels.at(-1) ?? ''); // an IP address is not a mail domain here
  return ok ? domain : null;
}

function splitEmail(raw: string): { local: string; domain: string } {
  const email = raw.trim();
  // The last '@': a quoted local part may itself contain one.
  const at = email.lastIndexOf('@');
  if (at === -1) throw new InvalidEmailError('missing_at');
  const local = email.slice(0, at);
  if (local === '') throw new InvalidEmailError('empty_local_part');
  const domain = asciiDomain(email.slice(at + 1));
  if (domain === null) throw new InvalidEmailError('invalid_domain');
  return { local, domain };
}

/**
 * The form stored for uniqueness: one value per mailbox however the address was typed.
 * Not for sending mail: keep the address as given for that.
 */
export function canonicalEmail(raw: string): string {
  const { local, domain } = splitEmail(raw);
  // Local parts are case-sensitive by RFC but not in practice; NFC so that an internationalised
  // local part typed on two keyboards is one key.
  let canonicalLocal = local.normalize('NFC').toLowerCase();
  if (!GMAIL_DOMAINS.has(domain)) return `${canonicalLocal}@${domain}`;
  const plus = canonicalLocal.indexOf('+');
  if (plus !== -1) canonicalLocal = canonicalLocal.slice(0, plus);
  canonicalLocal = canonicalLocal.replaceAll('.', '');
  if (canonicalLocal === '') throw new InvalidEmailError('empty_local_part');
  return `${canonicalLocal}@gmail.com`;
}

/** The lowercase ASCII domain of an address, for block lists and per-domain limits. */
export function emailDomain(raw: string): string {
  return splitEmail(raw).domain;
}

/** 'a***@example.com': enough for its owner to recognise, too little to harvest. */
export function maskEmail(raw: string): string {
  const { local, domain } = splitEmail(raw);
  const first = [...local][0] ?? '';
  // Shown to people: an IDN reads as typed ('bücher.de'), not as punycode.
  return `${first}***@${domainToUnicode(domain)}`;
}
