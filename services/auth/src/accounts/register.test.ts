import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { Code } from '@connectrpc/connect';
import { Role } from '@kith/gen/kith/auth/v1/types_pb.js';
import type { Trx } from '@kith/db';
import type { InsertQueryBuilder, InsertResult } from 'kysely';
import { uuidv7 } from 'uuidv7';
import { canonicalEmail, normalizeUsername, usernameSkeleton } from '../credentials/index.js';
import { sha256Hex } from '../crypto/secrets.js';
import type { AuthDatabase, NewAccount } from '../db/schema.js';
import {
  CONSENT,
  auditTrail,
  deviceClient,
  freshIp,
  rejectsWith,
  signIn,
  signedInClient,
  startAuthHarness,
  uniqueUser,
  violatedFields,
  violations,
} from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';
import { registerUser } from './test-support.js';

describe('Register', () => {
  let h: AuthHarness;
  beforeAll(async () => {
    h = await startAuthHarness();
  });
  afterAll(() => h.stop());

  const accountsWith = (canonical: string) =>
    h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('email_canonical', '=', canonical)
      .execute();

  const accountsNamed = (username: string) =>
    h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .where('username_normalized', '=', normalizeUsername(username))
      .execute();

  /** The raw Connect answer (status, content type, body) to a sign-up from `ip`. */
  async function rawRegister(body: object, ip = freshIp()) {
    const response = await fetch(`${h.url}/kith.auth.v1.AuthService/Register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: await response.text(),
    };
  }

  test('register, verify with the mailed link, then the account shows as verified', async () => {
    const user = uniqueUser();
    const answer = await deviceClient(h).register({ ...user, consent: CONSENT, locale: 'pt-BR' });
    assert.equal(answer.userId, '');
    assert.equal(answer.tokens, undefined);

    const [row] = await accountsWith(user.email);
    assert.ok(row);
    assert.equal(row.email_verified_at, null);
    assert.equal(row.locale, 'pt-BR');
    assert.equal(row.username_normalized, user.username.toLowerCase());
    assert.match(row.password_hash ?? '', /^\$argon2id\$/);
    assert.equal((row.consent as { documents_version: string }).documents_version, '2026-01');
    assert.equal(row.tokens_valid_after.getTime(), h.clock.now().getTime());

    const mail = await h.lastMailTo(user.email);
    assert.ok(mail.link?.startsWith('http://app.kith.test/verify-email?token=kith_ev_'), mail.link);
    assert.ok(mail.token);
    // Only the hash of the link's secret is stored.
    const tokens = await h.app.database.db
      .selectFrom('email_tokens')
      .selectAll()
      .where('account_id', '=', row.id)
      .execute();
    assert.equal(tokens.length, 1);
    assert.equal(tokens[0]!.token_hash, sha256Hex(mail.token));
    assert.equal(tokens[0]!.purpose, 'verify_email');
    assert.ok(!JSON.stringify(tokens).includes(mail.token));

    const verified = await deviceClient(h).verifyEmail({ token: mail.token });
    assert.deepEqual([verified.userId, verified.email], [row.id, user.email]);

    const session = await signIn(deviceClient(h), user);
    const { account } = await signedInClient(h, session.accessToken).getAccount({});
    assert.ok(account);
    assert.equal(account.userId, row.id);
    assert.equal(account.email, user.email);
    assert.equal(account.emailVerified, true);
    assert.equal(account.pendingEmail, '');
    assert.equal(account.username, user.username);
    assert.equal(account.role, Role.USER);
    assert.equal(account.hasPassword, true);
    assert.equal(account.totpEnabled, false);
    assert.equal(account.recoveryCodesRemaining, 0);
    assert.deepEqual(account.linkedIdentities, []);
    assert.equal(account.disabledAt, undefined);

    const events = await auditTrail(h, row.id);
    assert.deepEqual(events.map((e) => e.type).slice(0, 2), ['registered', 'email_verified']);
  });

  test('a known address gets the same answer, no second account, and its owner a notice', async () => {
    const owner = await registerUser(h, { email: `Jane.Doe+${Date.now()}@gmail.com` });
    const canonical = `janedoe@gmail.com`;
    const [ownerRow] = await accountsWith(canonical);
    assert.ok(ownerRow);
    assert.equal(ownerRow.username, owner.username);
    const mailsBefore = (await h.mails()).length;
    let hashes = 0;
    const realHash = h.app.hasher.hash;
    h.app.hasher.hash = (password) => {
      hashes++;
      return realHash(password);
    };
    try {
      const fresh = uniqueUser();
      const forNew = await rawRegister({ ...fresh, consent: CONSENT });
      const intruder = uniqueUser();
      // The same Gmail mailbox, spelled differently.
      const forKnown = await rawRegister({
        ...intruder,
        email: 'JANE.doe@googlemail.com',
        consent: CONSENT,
      });
      assert.deepEqual(forKnown, forNew);
      assert.equal(forKnown.status, 200);
      assert.equal(forKnown.body, '{}');
      assert.equal(hashes, 2, 'the password is hashed for a known address too');

      // No account for the intruder, under any address, and the owner's row untouched (the
      // intruder's password, locale and consent did not land on it).
      assert.deepEqual(await accountsNamed(intruder.username), []);
      assert.deepEqual(await accountsWith(canonical), [ownerRow]);

      const sent = (await h.mails()).slice(mailsBefore);
      assert.deepEqual(sent.map((m) => m.to).sort(), [fresh.email, owner.email].sort());
      const notice = sent.find((m) => m.to === owner.email)!;
      assert.equal(notice.subject, 'Someone tried to sign up with your address');
      assert.equal(notice.link, undefined, 'the notice carries no link');
      assert.match(notice.text, /reset/i);
      assert.ok(sent.find((m) => m.to === fresh.email)?.token);
    } finally {
      h.app.hasher.hash = realHash;
    }
  });

  test('usernames are unique across case and look-alikes', async () => {
    const first = await registerUser(h, { username: `john_doe${suffix()}` });
    for (const taken of [
      first.username.toUpperCase(),
      first.username.replace('o', '0').toUpperCase(),
    ]) {
      const err = await rejectsWith(
        deviceClient(h).register({ ...uniqueUser(), username: taken, consent: CONSENT }),
        Code.AlreadyExists,
      );
      assert.equal(err.rawMessage, 'username is taken');
    }
  });

  test('J0HN_DOE is taken once john_doe exists', async () => {
    // A name no other test uses: the skeleton of 'john_doe'.
    await registerUser(h, { username: 'john_doe' });
    await rejectsWith(
      deviceClient(h).register({ ...uniqueUser(), username: 'J0HN_DOE', consent: CONSENT }),
      Code.AlreadyExists,
    );
  });

  test('a common password, or a variation of one, is refused on the password field', async () => {
    const user = uniqueUser();
    const err = await rejectsWith(
      deviceClient(h).register({ ...user, password: 'password123456', consent: CONSENT }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(err), [
      {
        field: 'password',
        message:
          'is too easy to guess. This is similar to a commonly used password. Add more words that are less common.',
      },
    ]);
    assert.equal((await accountsWith(user.email)).length, 0);
  });

  test('a password containing the username is refused', async () => {
    const user = uniqueUser();
    const err = await rejectsWith(
      deviceClient(h).register({ ...user, password: `${user.username}-secret!`, consent: CONSENT }),
      Code.InvalidArgument,
    );
    assert.deepEqual(violations(err), [
      { field: 'password', message: 'must not contain your username' },
    ]);
  });

  test('a reserved or malformed username is refused on the username field', async () => {
    for (const username of ['admin', 'Supp0rt', 'trailing_']) {
      const err = await rejectsWith(
        deviceClient(h).register({ ...uniqueUser(), username, consent: CONSENT }),
        Code.InvalidArgument,
      );
      assert.deepEqual(violatedFields(err), ['username'], username);
    }
  });

  test('an address on a blocked domain (or a subdomain of it) cannot sign up', async () => {
    const domain = `blocked${suffix()}.example`;
    await h.app.database.db
      .insertInto('email_domain_blocks')
      .values({
        id: uuidv7(),
        domain,
        reason: 'spam',
        created_by: uuidv7(),
        created_at: h.clock.now(),
      })
      .execute();
    for (const email of [`someone@${domain}`, `someone@mail.${domain.toUpperCase()}`]) {
      const err = await rejectsWith(
        deviceClient(h).register({ ...uniqueUser(), email, consent: CONSENT }),
        Code.PermissionDenied,
      );
      assert.equal(err.rawMessage, 'sign-up is not available');
      assert.equal((await accountsWith(canonicalEmail(email))).length, 0);
    }
    // 'not<domain>' is someone else's domain.
    await deviceClient(h).register({
      ...uniqueUser(),
      email: `someone@not${domain}`,
      consent: CONSENT,
    });
    assert.equal((await accountsWith(`someone@not${domain}`)).length, 1);
    const audit = await h.app.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('type', '=', 'blocked_by_policy')
      .execute();
    assert.ok(audit.some((a) => a.details.reason === 'email_domain_blocked'));
  });

  test('a blocked address range cannot sign up; an expired block no longer counts', async () => {
    const now = h.clock.now();
    const block = (cidr: string, scope: 'sign_up' | 'all', expiresAt: Date | null) =>
      h.app.database.db
        .insertInto('ip_blocks')
        .values({
          id: uuidv7(),
          cidr,
          scope,
          reason: '',
          created_by: uuidv7(),
          created_at: now,
          expires_at: expiresAt,
        })
        .execute();
    await block('203.0.113.0/25', 'sign_up', null);
    await block('2001:db8::/48', 'all', null);
    await block('203.0.113.128/25', 'sign_up', new Date(now.getTime() - 1000));

    for (const ip of ['203.0.113.7', '2001:db8:0:1::5']) {
      const user = uniqueUser();
      const err = await rejectsWith(
        deviceClient(h, { ip }).register({ ...user, consent: CONSENT }),
        Code.PermissionDenied,
      );
      assert.equal(err.rawMessage, 'sign-up is not available');
      assert.equal((await accountsWith(user.email)).length, 0);
    }
    const allowed = uniqueUser();
    await deviceClient(h, { ip: '203.0.113.200' }).register({ ...allowed, consent: CONSENT });
    assert.equal((await accountsWith(allowed.email)).length, 1);
  });

  test('the sixth sign-up from one address within 30 minutes is refused', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) {
      await deviceClient(h, { ip }).register({ ...uniqueUser(), consent: CONSENT });
    }
    const user = uniqueUser();
    await rejectsWith(
      deviceClient(h, { ip }).register({ ...user, consent: CONSENT }),
      Code.ResourceExhausted,
    );
    assert.equal((await accountsWith(user.email)).length, 0);
    // Another address is not affected.
    await deviceClient(h).register({ ...uniqueUser(), consent: CONSENT });
  });

  // PGlite runs one transaction at a time, so these two requests never interleave inside
  // register's transaction: the second finds the first's account (the known-address path). The
  // unique-violation recovery of a real race is the next test's.
  test('two sign-ups with one address sent at once create one account and get the same answer', async () => {
    const email = `race${suffix()}@example.com`;
    const answers = await Promise.all(
      [uniqueUser(), uniqueUser()].map((u) => rawRegister({ ...u, email, consent: CONSENT })),
    );
    assert.deepEqual(answers[0], answers[1]);
    assert.equal((await accountsWith(email)).length, 1);
  });

  test('a sign-up that loses the race for its address (unique violation) answers as for a known one', async () => {
    // PGlite cannot interleave two transactions, so the race is replayed: register's insert
    // carries a rival's row for the same address ahead of its own, which breaks the unique index
    // on email_canonical (SQLSTATE 23505) and rolls the transaction back; the rival's row is then
    // committed before register goes on, as the winner of a real race would have been.
    const email = `race${suffix()}@example.com`;
    const racer = uniqueUser();
    const rival = uniqueUser();
    const database = h.app.database;
    const realTransaction = database.transaction.bind(database);
    let rivalRow: NewAccount | undefined;
    database.transaction = async <T>(fn: (trx: Trx<AuthDatabase>) => Promise<T>): Promise<T> => {
      if (rivalRow !== undefined) return realTransaction(fn);
      let rivalWentFirst = false;
      try {
        return await realTransaction((trx) =>
          fn(
            rivalAhead(trx, (row) => {
              if (row.email_canonical !== canonicalEmail(email)) return undefined;
              rivalWentFirst = true;
              rivalRow = {
                ...row,
                id: uuidv7(),
                username: rival.username,
                username_normalized: normalizeUsername(rival.username),
                username_skeleton: usernameSkeleton(rival.username),
              };
              return rivalRow;
            }),
          ),
        );
      } catch (err) {
        if (rivalWentFirst && rivalRow !== undefined) {
          await database.db.insertInto('accounts').values(rivalRow).execute();
        }
        throw err;
      }
    };
    const mailsBefore = (await h.mails()).length;
    let answer: Awaited<ReturnType<typeof rawRegister>>;
    try {
      answer = await rawRegister({ ...racer, email, consent: CONSENT });
    } finally {
      database.transaction = realTransaction;
    }
    assert.ok(rivalRow, 'the rival’s row went in ahead of the racer’s');
    const forNew = await rawRegister({ ...uniqueUser(), consent: CONSENT });
    assert.deepEqual(answer, forNew);
    assert.equal(answer.status, 200);

    const rows = await accountsWith(email);
    assert.deepEqual(
      rows.map((r) => [r.id, r.username]),
      [[rivalRow.id, rival.username]],
    );
    assert.deepEqual(await accountsNamed(racer.username), []);
    // The winner's owner gets the known-address notice; nobody gets a verification link.
    const sent = (await h.mails()).slice(mailsBefore).filter((m) => m.to === email);
    assert.deepEqual(
      sent.map((m) => [m.subject, m.link]),
      [['Someone tried to sign up with your address', undefined]],
    );
    const events = await auditTrail(h, rivalRow.id!);
    assert.deepEqual(
      events.map((e) => [e.type, e.details.reason, e.details.during]),
      [['blocked_by_policy', 'email_in_use', 'register']],
    );
  });

  test('the race path recognises which unique rule an insert broke', async () => {
    const { accountConflict } = await import('./unique-violation.js');
    const [existing] = await h.app.database.db
      .selectFrom('accounts')
      .selectAll()
      .limit(1)
      .execute();
    assert.ok(existing);
    const clash = (changes: Record<string, string>) =>
      h.app.database.db
        .insertInto('accounts')
        .values({
          ...existing,
          id: uuidv7(),
          email_canonical: `x${suffix()}@e.com`,
          username_normalized: `u${suffix()}`,
          username_skeleton: `s${suffix()}`,
          ...changes,
        })
        .execute()
        .then(
          () => assert.fail('insert should have failed'),
          (err: unknown) => accountConflict(err),
        );
    assert.equal(await clash({ email_canonical: existing.email_canonical }), 'email');
    assert.equal(await clash({ username_skeleton: existing.username_skeleton }), 'username');
    assert.equal(await clash({ username_normalized: existing.username_normalized }), 'username');
  });
});

/**
 * `trx`, except that the next insert into accounts for which `rival(row)` gives a row puts that
 * row ahead of its own, in the same statement.
 */
function rivalAhead(
  trx: Trx<AuthDatabase>,
  rival: (row: NewAccount) => NewAccount | undefined,
): Trx<AuthDatabase> {
  type AccountInsert = InsertQueryBuilder<AuthDatabase, 'accounts', InsertResult>;
  const insertInto = (table: string): unknown => {
    const builder = trx.insertInto(table as 'accounts');
    if (table !== 'accounts') return builder;
    return new Proxy(builder, {
      get(target, prop): unknown {
        if (prop !== 'values') return forwarded(target, prop);
        return (row: NewAccount): AccountInsert => {
          const ahead = rival(row);
          return ahead === undefined ? target.values(row) : target.values([ahead, row]);
        };
      },
    });
  };
  return new Proxy(trx, {
    get: (target, prop): unknown => (prop === 'insertInto' ? insertInto : forwarded(target, prop)),
  });
}

/** A property of `target`, its methods bound to it (Kysely's objects keep private state). */
function forwarded(target: object, prop: string | symbol): unknown {
  const value: unknown = Reflect.get(target, prop, target);
  return typeof value === 'function'
    ? (value as (...args: unknown[]) => unknown).bind(target)
    : value;
}

let suffixCounter = 0;
function suffix(): string {
  return `${Date.now().toString(36)}${(suffixCounter++).toString(36)}`;
}
