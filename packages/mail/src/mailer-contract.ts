import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { InvalidMailError, type MailMessage, type Mailer } from './mailer.js';
import { readMessage } from './read-mime.js';

/** A message as it arrived: the raw RFC 5322 bytes, and the SMTP envelope where there is one. */
export interface DeliveredMail {
  raw: Buffer;
  envelope?: { from: string; to: string[] };
}

/** One adapter under test, with a way to see what it delivered. */
export interface MailerUnderTest {
  mailer: Mailer;
  /** The `from` the mailer was built with. */
  from: string;
  /** Everything delivered so far, oldest first. */
  delivered(): Promise<DeliveredMail[]>;
  teardown(): Promise<void>;
}

const LINK =
  'https://kith.example/verify-email?token=Zm9vYmFyLWJhei1xdXV4LTAxMjM0NTY3ODk_-AbC=&next=%2Fcircles%2Fa%20b&utm=x';

/**
 * The text as the caller wrote it: on the wire lines end in CRLF and the last line is always
 * terminated, so `x` and `x\n` travel as the same bytes.
 */
function asSent(wire: string | undefined): string | undefined {
  return wire?.replace(/\r\n/g, '\n').replace(/\n$/, '');
}

/**
 * The behaviour every Mailer promises, run against each adapter (file and SMTP): what the
 * recipient's mail client sees is what the caller sent, byte for byte where it matters.
 */
export function mailerContract(adapter: string, setup: () => Promise<MailerUnderTest>): void {
  describe(`Mailer contract: ${adapter}`, () => {
    let t: MailerUnderTest;
    beforeAll(async () => {
      t = await setup();
    });
    afterAll(async () => {
      await t?.mailer.close();
      await t?.teardown();
    });

    /** Sends and returns what arrived for it (the newest delivery). */
    async function roundTrip(message: MailMessage) {
      const before = (await t.delivered()).length;
      const sent = await t.mailer.send(message);
      const all = await t.delivered();
      assert.equal(all.length, before + 1, 'exactly one delivery');
      const delivered = all[all.length - 1]!;
      return { sent, delivered, read: readMessage(delivered.raw) };
    }

    it('delivers to the recipient with the subject, sender and UTF-8 text intact', async () => {
      const text = `Olá — ✓\nSeu código: 482913\n\nAté já, 🌱`;
      const { sent, delivered, read } = await roundTrip({
        to: 'ana@example.com',
        subject: 'Bem-vinda à Kith ✓',
        text,
      });
      assert.equal(read.header('to'), 'ana@example.com');
      assert.equal(read.header('from'), t.from);
      assert.equal(read.header('subject'), 'Bem-vinda à Kith ✓');
      assert.equal(asSent(read.text), text);
      assert.equal(read.html, undefined);
      assert.deepEqual(read.partTypes, ['text/plain']);
      assert.equal(read.header('message-id'), sent.messageId);
      assert.match(sent.messageId, /^<[^<>@\s]+@[^<>@\s]+>$/);
      assert.ok(read.header('date'), 'a Date header');
      if (delivered.envelope) {
        assert.deepEqual(delivered.envelope.to, ['ana@example.com']);
        assert.equal(delivered.envelope.from, t.from.replace(/^.*<|>.*$/g, ''));
      }
    });

    it('keeps a long link byte for byte in the text and the HTML part', async () => {
      const html = `<p>Olá — ✓</p><p><a href="${LINK.replaceAll('&', '&amp;')}">Confirmar</a></p>`;
      const { read } = await roundTrip({
        to: 'bo@example.org',
        subject: 'Confirm your e-mail',
        text: `Open this link:\n${LINK}\n`,
        html,
      });
      assert.deepEqual(read.partTypes, ['text/plain', 'text/html']);
      const links = read.text?.match(/https:\/\/\S+/g);
      assert.deepEqual(links, [LINK]);
      assert.equal(read.html, html);
    });

    it('carries extra headers', async () => {
      const { read } = await roundTrip({
        to: 'cy@example.net',
        subject: 'Headers',
        text: 'x',
        headers: {
          'X-Kith-Template': 'verify-email',
          'List-Unsubscribe': '<https://kith.example/unsubscribe?u=1>',
          'X-Kith-Note': 'Olá — ✓',
        },
      });
      assert.equal(read.header('x-kith-template'), 'verify-email');
      assert.equal(read.header('list-unsubscribe'), '<https://kith.example/unsubscribe?u=1>');
      assert.equal(read.header('x-kith-note'), 'Olá — ✓');
    });

    it('derives the Message-ID from a given id, so a resend is the same message', async () => {
      const id = '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
      const domain = t.from.replace(/^.*@|>.*$/g, '');
      const { sent, read } = await roundTrip({ to: 'di@example.com', subject: 's', text: 't', id });
      assert.equal(sent.messageId, `<${id}@${domain}>`);
      assert.equal(read.header('message-id'), sent.messageId);
    });

    it('refuses a second recipient, a display name or a header break, and sends nothing', async () => {
      const count = (await t.delivered()).length;
      const bad: MailMessage[] = [
        { to: 'ana@example.com, eve@evil.test', subject: 's', text: 't' },
        { to: 'ana@example.com\r\nBcc: eve@evil.test', subject: 's', text: 't' },
        { to: 'Ana <ana@example.com>', subject: 's', text: 't' },
        { to: 'not-an-address', subject: 's', text: 't' },
        { to: 'ana@example.com', subject: 's\r\nBcc: eve@evil.test', text: 't' },
        { to: 'ana@example.com', subject: 's', text: 't', headers: { 'X-A': 'a\r\nBcc: e@x.y' } },
        { to: 'ana@example.com', subject: 's', text: 't', headers: { Bcc: 'eve@evil.test' } },
        { to: 'ana@example.com', subject: 's', text: 't', headers: { 'Bad Name': 'v' } },
      ];
      for (const message of bad) {
        await assert.rejects(t.mailer.send(message), InvalidMailError, JSON.stringify(message));
      }
      assert.equal((await t.delivered()).length, count);
    });
  });
}
