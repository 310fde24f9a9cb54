import type { TwilioSettings } from './contacts-config.js';
import { SmsSendError } from './sms.js';
import type { SmsSender } from './sms.js';

/** Longer than Twilio takes to accept a message, short enough not to stall a relay pass. */
const SEND_TIMEOUT_MS = 10_000;

/**
 * SMS through Twilio's REST API (or anything speaking it): POST
 * `{base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded To/From/Body, basic
 * auth AccountSid:AuthToken; 201 with the message's `sid` when accepted. A 4xx other than
 * 401/403/408/429 is the message's fault (a bad number: Twilio's 400 with code 21211 …) and
 * permanent; the rest (credentials being fixed, throttling, outages, timeouts) is retried.
 */
export function twilioSmsSender(
  settings: TwilioSettings,
  fetchImpl: typeof fetch = fetch,
): SmsSender {
  const url = `${settings.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${settings.accountSid}:${settings.authToken}`).toString('base64')}`;
  return {
    async send(message) {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: {
            authorization,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: new URLSearchParams({
            To: message.to,
            From: settings.from,
            Body: message.body,
          }).toString(),
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
      } catch (err) {
        throw new SmsSendError(`SMS provider unreachable: ${(err as Error).message}`, false);
      }
      const payload = (await response.json().catch(() => ({}))) as {
        sid?: unknown;
        code?: unknown;
        message?: unknown;
      };
      if (response.ok && typeof payload.sid === 'string') return { providerId: payload.sid };
      if (response.ok) throw new SmsSendError('SMS provider answered without a sid', false);
      const status = response.status;
      const permanent = status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status);
      // Twilio's error text names the number; keep only its code and the status.
      const code = typeof payload.code === 'number' ? ` code ${payload.code}` : '';
      throw new SmsSendError(`SMS provider answered ${status}${code}`, permanent);
    },
  };
}
