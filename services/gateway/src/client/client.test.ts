import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'vitest';
import type { TestContext } from 'vitest';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { ErrorCode } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { Error as ErrorFrame, Hello } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { alice, connect, GOOD_TOKEN, startGateway } from '../test-harness.js';
import { freePort, waitFor } from '@kith/testkit';
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import { createRealtimeClient, RealtimeError } from '@kith/realtime-client';
import type {
  ClientState,
  RealtimeClientOptions,
  WebSocketConstructor,
} from '@kith/realtime-client';

/** A client whose states, Hellos and Error frames are recorded; closed after the test. */
function start(
  t: TestContext,
  options: Partial<RealtimeClientOptions> & { url: string | (() => string) },
) {
  const states: ClientState[] = [];
  const hellos: Hello[] = [];
  const errors: ErrorFrame[] = [];
  const client = createRealtimeClient({
    token: () => GOOD_TOKEN,
    // No jitter drawn and a small floor: reconnects take the minimum (plus reconnect_after).
    random: () => 0,
    minDelayMs: 10,
    onState: (state) => states.push(state),
    onHello: (hello) => hellos.push(hello),
    onError: (error) => errors.push(error),
    ...options,
  });
  t.onTestFinished(() => client.close());
  const opened = (n: number) =>
    waitFor(() => hellos.length >= n, { timeoutMs: 5_000, intervalMs: 5, what: `hello ${n}` });
  return { client, states, hellos, errors, opened };
}

test('connects with a bearer header and reports open once Hello arrives', async (t) => {
  const { url } = await startGateway(t);
  const { client, states, hellos, opened } = start(t, { url: `${url}/ws` });
  await opened(1);
  assert.equal(hellos[0]?.userId, alice.userId);
  assert.deepEqual(states, ['connecting', 'open']);
  assert.equal(client.state, 'open');
});

test('speaks binary frames with the token in a bearer subprotocol (the browser way)', async (t) => {
  const { url, seenHeaders } = await startGateway(t);
  const { client, opened, errors } = start(t, {
    url: `${url}/ws`,
    encoding: 'binary',
    tokenTransport: 'subprotocol',
  });
  await opened(1);
  assert.equal(seenHeaders.at(-1)?.get('authorization'), `Bearer ${GOOD_TOKEN}`);
  // A request and its answer round-trip in binary.
  await assert.rejects(client.subscribe('nope'), RealtimeError);
  assert.equal(errors.length, 1);
});

test('subscribe() to a topic the gateway refuses rejects with the Error frame code', async (t) => {
  const { url } = await startGateway(t);
  const { client, errors, opened } = start(t, { url: `${url}/ws` });
  await opened(1);
  await assert.rejects(client.subscribe('nope'), (error: unknown) => {
    assert.ok(error instanceof RealtimeError);
    assert.notEqual(error.code, ErrorCode.UNSPECIFIED);
    assert.equal(error.code, errors[0]?.code);
    assert.ok(error.frame !== undefined && error.frame.requestId > 0);
    return true;
  });
  assert.deepEqual(client.topics, []);
});

test('subscribe() before the socket opens goes out after Hello and settles with its answer', async (t) => {
  const { url } = await startGateway(t);
  const { client, opened, errors } = start(t, { url: `${url}/ws` });
  const refused = client.subscribe('nope');
  assert.deepEqual(client.topics, ['nope']);
  await assert.rejects(refused, (error: unknown) => {
    assert.ok(error instanceof RealtimeError);
    assert.notEqual(error.code, ErrorCode.UNSPECIFIED);
    return true;
  });
  await opened(1);
  assert.equal(errors.length, 1);
  assert.deepEqual(client.topics, []);
});

/** ws answers protocol pings by itself; without that only Pong frames keep a socket alive. */
class WithoutAutoPong extends WebSocket {
  constructor(url: string, protocols: string[], options: ClientOptions) {
    super(url, protocols, { ...options, autoPong: false });
  }
}

test('a socket that answers no pings is cut with 4408 (the premise of the next test)', async (t) => {
  const { url } = await startGateway(t, { heartbeatMs: 50 });
  const headers = { authorization: `Bearer ${GOOD_TOKEN}` };
  const silent = await connect(t, `${url}/ws`, [], { headers, autoPong: false });
  assert.equal((await silent.closed).code, 4408);
});

test('answers Ping frames with Pong, so the heartbeat never cuts the socket', async (t) => {
  const { url } = await startGateway(t, { heartbeatMs: 50 });
  const { states, opened } = start(t, {
    url: `${url}/ws`,
    WebSocket: WithoutAutoPong satisfies WebSocketConstructor,
  });
  await opened(1);
  // Ten heartbeat intervals; two unanswered pings would close the socket (4408).
  await sleep(500);
  assert.deepEqual(states, ['connecting', 'open']);
});

test('after a shutdown (1001) it waits reconnect_after, then follows url() to a new gateway', async (t) => {
  const first = await startGateway(t);
  const second = await startGateway(t);
  let url = `${first.url}/ws`;
  const { states, hellos, opened } = start(t, { url: () => url });
  await opened(1);
  url = `${second.url}/ws`;
  const closedAt = Date.now();
  await first.gateway.close();
  await opened(2);
  // Closing.reconnect_after of a shutdown is 1 s: a deploy must not be stormed.
  assert.ok(Date.now() - closedAt >= 1_000);
  assert.notEqual(hellos[1]?.connectionId, hellos[0]?.connectionId);
  assert.deepEqual(states, ['connecting', 'open', 'waiting', 'connecting', 'open']);
});

test('retries an unreachable gateway with growing delays', async (t) => {
  const port = await freePort();
  const connecting: number[] = [];
  start(t, {
    url: `ws://127.0.0.1:${port}/ws`,
    minDelayMs: 50,
    maxDelayMs: 200,
    random: () => 1,
    onState: (state) => state === 'connecting' && connecting.push(performance.now()),
  });
  await waitFor(() => connecting.length >= 4, { timeoutMs: 5_000, what: '4 attempts' });
  const waits = connecting.slice(1).map((at, i) => at - connecting[i]!);
  // Windows of 100, 200 (capped), 200 ms; random() = 1 takes their ends.
  assert.ok(waits[0]! >= 99 && waits[1]! >= 199 && waits[2]! >= 199, `waits ${waits.join()}`);
});

test('a revoked token (4401) reconnects with a token asked afresh', async (t) => {
  const { url, gateway } = await startGateway(t);
  let asked = 0;
  const { client, opened } = start(t, {
    url: `${url}/ws`,
    token: () => (asked++, GOOD_TOKEN),
  });
  await opened(1);
  assert.equal(gateway.revoke({ kind: 'session', sessionId: alice.sessionId! }), 1);
  await opened(2);
  assert.equal(asked, 2);
  assert.equal(client.state, 'open');
});

test('a token refused at the upgrade (401) stops the client as unauthorized', async (t) => {
  const { url, gateway } = await startGateway(t);
  let asked = 0;
  const { client, states, opened } = start(t, {
    url: `${url}/ws`,
    token: () => (asked++ === 0 ? GOOD_TOKEN : 'signed-out'),
  });
  await opened(1);
  gateway.revoke({ kind: 'session', sessionId: alice.sessionId! });
  await waitFor(() => client.state === 'unauthorized', { timeoutMs: 5_000, what: 'unauthorized' });
  await sleep(100);
  assert.equal(asked, 2);
  assert.deepEqual(states, ['connecting', 'open', 'waiting', 'connecting', 'unauthorized']);
  await assert.rejects(client.subscribe('user'), RealtimeError);
});

/** Test verifier: "short-<n>" tokens are alice's and expire 2 s (whole seconds) from now. */
function shortLivedTokens(seen: Set<string>) {
  return async (headers: Headers) => {
    const token = headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
    seen.add(token);
    if (!token.startsWith('short-')) return undefined;
    return { ...alice, expiresAt: Math.floor(Date.now() / 1000) + 2 };
  };
}

test('presents a fresh token (Authenticate) before expiry, again after each Authenticated', async (t) => {
  const seen = new Set<string>();
  const { url } = await startGateway(t, { authenticate: shortLivedTokens(seen) });
  let issued = 0;
  const { states, hellos, opened } = start(t, {
    url: `${url}/ws`,
    token: () => `short-${++issued}`,
  });
  await opened(1);
  const firstExpiry = timestampMs(hellos[0]!.tokenExpiresAt!);
  await waitFor(() => seen.has('short-3') && Date.now() > firstExpiry + 200, {
    timeoutMs: 6_000,
    what: 'two refreshes past the first expiry',
  });
  // The socket outlived its first token: never closed (4401), never reconnected.
  assert.deepEqual(states, ['connecting', 'open']);
  assert.equal(hellos.length, 1);
});

test('close() leaves no timer behind', async (t) => {
  const { url } = await startGateway(t, { authenticate: shortLivedTokens(new Set()) });
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const { client, opened } = start(t, { url: `${url}/ws`, token: () => 'short-1' });
  await opened(1);
  // A pending token refresh and a subscription in flight.
  client.subscribe('user').catch(() => {});
  await client.close();
  assert.equal(client.state, 'closed');
  // The gateway's own timers for the socket go once it has seen the close.
  await waitFor(() => timers() <= before, { timeoutMs: 2_000, intervalMs: 5, what: 'no timers' });
});
