import type { HttpHandler } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { verifyOptOutToken } from './contact-keys.js';
import { cancelPendingSms, findNotice, recordOptOuts } from './contacts-store.js';

export const OPT_OUT_PATH = '/support/contacts/opt-out';

/**
 * Records the opt-out a notice's link stands for: each number and address that notice went to
 * stops being messaged for its user, now and after the contact is removed and added again.
 * Idempotent. False for a token that is not genuine or names no notice.
 */
export async function optOut(app: SupportApp, linkKey: Buffer, token: string): Promise<boolean> {
  const noticeId = verifyOptOutToken(linkKey, token);
  if (!noticeId) return false;
  return app.database.transaction(async (trx) => {
    const notice = await findNotice(trx, noticeId);
    if (!notice) return false;
    const hashes = [notice.phone_hash, notice.email_hash]
      .filter((b): b is Buffer => b !== null)
      .map((b) => Buffer.from(b));
    const silenced = await recordOptOuts(trx, notice.user_id, hashes, app.clock());
    await cancelPendingSms(trx, silenced);
    return true;
  });
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res: Parameters<HttpHandler>[1], status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; form-action 'self'",
  });
  res.end(`<!doctype html><meta charset="utf-8"><title>Kith</title><body>${body}</body>\n`);
}

const NOT_FOUND = '<p>This link is not valid.</p>';

/**
 * `GET` shows a one-button page and `POST` opts out: link scanners and previews fetch links
 * with GET, and must not opt anyone out. A mail client's one-click unsubscribe (RFC 8058)
 * POSTs the same URL. Any token that is not genuine answers 404 with the same page, whether
 * it was malformed, forged or names no notice.
 */
export function optOutRoutes(
  app: SupportApp,
  linkKey: Buffer | undefined,
): Record<string, HttpHandler> {
  const tokenOf = (url: string | undefined) =>
    new URL(url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
  return {
    [`GET ${OPT_OUT_PATH}`]: async (req, res) => {
      const token = tokenOf(req.url);
      if (!linkKey || !verifyOptOutToken(linkKey, token)) return page(res, 404, NOT_FOUND);
      page(
        res,
        200,
        `<p>Stop Kith from messaging you as this person's emergency contact?</p>` +
          `<form method="post" action="${OPT_OUT_PATH}?token=${escapeHtml(encodeURIComponent(token))}">` +
          `<button type="submit">Opt out</button></form>`,
      );
    },
    [`POST ${OPT_OUT_PATH}`]: async (req, res) => {
      req.resume();
      let done: boolean;
      try {
        done = linkKey ? await optOut(app, linkKey, tokenOf(req.url)) : false;
      } catch (err) {
        app.logger.error({ err }, 'emergency contact opt-out failed');
        return page(res, 500, '<p>Something went wrong. Please try again.</p>');
      }
      if (!done) return page(res, 404, NOT_FOUND);
      page(res, 200, '<p>Done: Kith will not message you for this person again.</p>');
    },
  };
}
