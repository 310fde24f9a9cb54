// Plain-text mail for the account flows: short, no tracking, no HTML. A link, when there is one,
// is the first URL in the text (clients and tests rely on that). Addresses other than the
// recipient's own appear masked only.

export interface MailContent {
  subject: string;
  text: string;
}

const SIGNATURE = '— Kith';

function hours(ms: number): string {
  const h = Math.round(ms / 3600_000);
  return h === 1 ? '1 hour' : `${h} hours`;
}

export function verifyEmailMail(link: string, ttlMs: number): MailContent {
  return {
    subject: 'Confirm your e-mail address',
    text: [
      'Confirm the address for your new Kith account by opening this link:',
      '',
      link,
      '',
      `The link works once and expires in ${hours(ttlMs)}.`,
      'If you did not sign up for Kith, ignore this message; no account will be usable with this address.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To the owner of an address someone tried to sign up with again. */
export function signUpWithKnownAddressMail(): MailContent {
  return {
    subject: 'Someone tried to sign up with your address',
    text: [
      'Someone tried to create a Kith account with this e-mail address, which already has one.',
      '',
      'If it was you, sign in with your existing account. If you forgot your password, use',
      '"Forgot password" on the sign-in page to reset it.',
      '',
      'If it was not you, you can ignore this message: nothing was changed.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

export function passwordResetMail(link: string, ttlMs: number): MailContent {
  return {
    subject: 'Reset your password',
    text: [
      'Open this link to choose a new password for your Kith account:',
      '',
      link,
      '',
      `The link works once and expires in ${hours(ttlMs)}.`,
      'If you did not ask for this, ignore this message: your password stays as it is.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

export function passwordChangedMail(how: 'changed' | 'reset'): MailContent {
  const effect =
    how === 'reset'
      ? 'Every device was signed out.'
      : 'Every other device was signed out, and every API key of the account was revoked.';
  return {
    subject: 'Your password was changed',
    text: [
      `The password of your Kith account was ${how}. ${effect}`,
      '',
      'If this was not you, reset your password now with "Forgot password" on the sign-in page,',
      'and contact support.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

export function confirmNewEmailMail(link: string, ttlMs: number): MailContent {
  return {
    subject: 'Confirm your new e-mail address',
    text: [
      'Open this link to make this the e-mail address of your Kith account:',
      '',
      link,
      '',
      `The link works once and expires in ${hours(ttlMs)}.`,
      'If you did not ask for this, ignore this message: nothing changes.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/**
 * To the current address when a change to another one is requested; the link cancels the
 * change (CancelEmailChange) without signing in, so an owner whose password is known to someone
 * else can still stop it.
 */
export function emailChangeRequestedMail(
  maskedNewAddress: string,
  cancelLink: string,
  ttlMs: number,
): MailContent {
  return {
    subject: 'Your e-mail address is being changed',
    text: [
      'If you did not ask for this, cancel the change by opening this link:',
      '',
      cancelLink,
      '',
      `Someone signed in to your Kith account asked to change its e-mail address to ${maskedNewAddress}.`,
      `The change takes effect once the new address is confirmed. The link works for ${hours(ttlMs)}.`,
      '',
      'If this was not you, also change your password now and contact support.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To a new address that already belongs to another account (instead of a confirmation link). */
export function emailAlreadyInUseMail(): MailContent {
  return {
    subject: 'This address already has a Kith account',
    text: [
      'Someone asked to move a Kith account to this e-mail address, but it already belongs to',
      'an account. Nothing was changed.',
      '',
      'If this was you, sign in with the account that uses this address, or choose another address.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To the old address once the new one is confirmed. */
export function emailChangedMail(maskedNewAddress: string): MailContent {
  return {
    subject: 'Your e-mail address was changed',
    text: [
      `The e-mail address of your Kith account is now ${maskedNewAddress}. Every device was signed out`,
      'and every API key of the account was revoked.',
      '',
      'If this was not you, contact support at once.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To the owner whenever a second factor is added: an intruder's first move to keep access. */
export function totpEnabledMail(): MailContent {
  return {
    subject: 'Two-step verification was turned on',
    text: [
      'Two-step verification with an authenticator app was turned on for your Kith account.',
      'Signing in now also needs a code from that app.',
      '',
      'If this was not you, reset your password with "Forgot password" on the sign-in page and',
      'contact support: staff can remove a second factor you do not hold.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To the owner when new recovery codes replace the old ones. */
export function recoveryCodesRegeneratedMail(): MailContent {
  return {
    subject: 'New recovery codes were created',
    text: [
      'New recovery codes were created for your Kith account; the old ones no longer work.',
      '',
      'If this was not you, reset your password and contact support.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To the owner when an API key is created: a key keeps working after a sign-out. */
export function apiKeyCreatedMail(name: string, prefix: string): MailContent {
  return {
    subject: 'A new API key was created',
    text: [
      `An API key named "${name}" (${prefix}…) was created for your Kith account.`,
      '',
      'If this was not you, revoke it in your account settings, change your password and',
      'contact support.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}

/** To the owner when staff removed the account's second factors. */
export function mfaResetMail(): MailContent {
  return {
    subject: 'Your two-step verification was removed by support',
    text: [
      'Kith support removed the two-step verification of your account (the authenticator app and',
      'its recovery codes). Every device was signed out and every API key was revoked.',
      '',
      'Sign in again and turn two-step verification back on. If you did not ask support for',
      'this, reset your password and contact support at once.',
      '',
      SIGNATURE,
    ].join('\n'),
  };
}
