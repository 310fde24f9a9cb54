import type { Consent } from '@kith/gen/kith/auth/v1/auth_pb.js';

/** The accepted terms as accounts.consent holds them; the shape Register writes. */
export type ConsentRecord = {
  terms_accepted: boolean;
  privacy_policy_accepted: boolean;
  minimum_age_confirmed: boolean;
  marketing_emails: boolean;
  documents_version: string;
  accepted_at: string;
};

/** `consent` (already validated: every flag true, a documents version) accepted at `acceptedAt`. */
export function consentRecord(consent: Consent, acceptedAt: Date): ConsentRecord {
  return {
    terms_accepted: consent.termsAccepted,
    privacy_policy_accepted: consent.privacyPolicyAccepted,
    minimum_age_confirmed: consent.minimumAgeConfirmed,
    marketing_emails: consent.marketingEmails,
    documents_version: consent.documentsVersion,
    accepted_at: acceptedAt.toISOString(),
  };
}
