import assert from 'node:assert/strict';
import { test } from 'vitest';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { ErrorCode } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import {
  alice,
  connect,
  API_KEY,
  GOOD_TOKEN,
  refusedStatus,
  RESTRICTED_TOKEN,
  socketGauge,
  startGateway,
} from './test-harness.js';

const bearer = { headers: { authorization: `Bearer ${GOOD_TOKEN}` } };

test('a bearer header upgrades and the first frame is hello (proto3 JSON text)', async (t) => {
  const { url, metrics } = await startGateway(t, { heartbeatMs: 10_000 });
  const raw: { text: string; isBinary: boolean }[] = [];
  const client = await connect(t, `${url}/ws`, [], bearer);
  client.ws.on('message', (data: Buffer, isBinary) =>
    raw.push({ text: data.toString(), isBinary }),
  );

  const hello = await client.frame(1);
  assert.equal(hello.v, 1);
  assert.equal(hello.type, 'hello');
  // Control frames are outside the per-topic sequences of event frames (realtime.proto).
  assert.equal(hello.seq, 0n);
  assert.equal(hello.payload.case, 'hello');
  assert.equal(hello.payload.value.userId, alice.userId);
  assert.equal(hello.payload.value.sessionId, alice.sessionId);
  assert.equal(durationMs(hello.payload.value.heartbeatInterval!), 10_000);
  assert.equal(hello.payload.value.maxFrameBytes, 64 * 1024);
  assert.equal(hello.payload.value.maxTopics, 100);
  assert.equal(hello.payload.value.replayWindowFrames, 1000);
  assert.equal(durationMs(hello.payload.value.replayWindow!), 24 * 3600_000);
  // The heads of the caller's own topics: nothing stored for alice yet.
  assert.deepEqual(
    hello.payload.value.lastSeqs.map((c) => [c.topic, c.seq]),
    [
      ['user', 0n],
      ['notifications', 0n],
    ],
  );
  // alice's test token has no expiry.
  assert.equal(hello.payload.value.tokenExpiresAt, undefined);
  assert.match(hello.payload.value.connectionId, /^[0-9a-f-]{36}$/);
  assert.equal(client.ws.protocol, '');
  assert.equal(await socketGauge(metrics), 1);
});

test('a bearer subprotocol upgrades, kith.v1 is selected and the token is never echoed', async (t) => {
  const { url, seenHeaders } = await startGateway(t);
  const client = await connect(t, `${url}/ws`, ['kith.v1', `bearer.${GOOD_TOKEN}`]);
  assert.equal(client.ws.protocol, 'kith.v1');
  assert.equal((await client.frame(1)).type, 'hello');
  const shown = seenHeaders.at(-1)!;
  assert.equal(shown.get('authorization'), `Bearer ${GOOD_TOKEN}`);
  assert.equal(shown.get('sec-websocket-protocol'), null);
});

test('kith.v1.proto selects binary protobuf frames', async (t) => {
  const { url } = await startGateway(t);
  const client = await connect(t, `${url}/ws`, ['kith.v1.proto', `bearer.${GOOD_TOKEN}`]);
  let sawBinary = false;
  client.ws.on('message', (_data, isBinary) => (sawBinary ||= isBinary));
  assert.equal(client.ws.protocol, 'kith.v1.proto');
  assert.equal((await client.frame(1)).type, 'hello');
  client.ws.send(new Uint8Array([0xff, 0xff]));
  const error = await client.frame(2);
  assert.equal(error.payload.case, 'error');
  assert.equal(sawBinary, true);
});

test('upgrades without a valid token are refused with 401 before any upgrade', async (t) => {
  const { url, metrics } = await startGateway(t);
  assert.equal(await refusedStatus(`${url}/ws`), 401);
  assert.equal(
    await refusedStatus(`${url}/ws`, [], { headers: { authorization: 'Bearer not-the-token' } }),
    401,
  );
  assert.equal(
    await refusedStatus(`${url}/ws`, [], { headers: { authorization: `Basic ${GOOD_TOKEN}` } }),
    401,
  );
  assert.equal(await refusedStatus(`${url}/ws`, ['kith.v1', 'bearer.wrong']), 401);
  assert.equal(await socketGauge(metrics), 0);
});

test('an API key cannot open a socket: keys act only through the RPCs their scopes name', async (t) => {
  const { url, metrics } = await startGateway(t);
  assert.equal(
    await refusedStatus(`${url}/ws`, [], { headers: { authorization: `Bearer ${API_KEY}` } }),
    403,
  );
  assert.equal(await socketGauge(metrics), 0);
});

test('a restricted session (a suspended or banned account) cannot open a socket', async (t) => {
  const { url, metrics } = await startGateway(t);
  assert.equal(
    await refusedStatus(`${url}/ws`, [], {
      headers: { authorization: `Bearer ${RESTRICTED_TOKEN}` },
    }),
    403,
  );
  assert.equal(await socketGauge(metrics), 0);
});

test('a token in the query string is ignored', async (t) => {
  const { url, seenHeaders } = await startGateway(t);
  assert.equal(await refusedStatus(`${url}/ws?access_token=${GOOD_TOKEN}`), 401);
  assert.equal(await refusedStatus(`${url}/ws?token=${GOOD_TOKEN}`, ['kith.v1']), 401);
  // Refused before verification: nothing was taken from the URL.
  assert.equal(seenHeaders.length, 0);
});

test('other paths answer 404, odd subprotocol use 400', async (t) => {
  const { url } = await startGateway(t);
  assert.equal(await refusedStatus(`${url}/`, [], bearer), 404);
  assert.equal(await refusedStatus(`${url}/ws/extra`, [], bearer), 404);
  assert.equal(await refusedStatus(`${url}/ws`, [`bearer.${GOOD_TOKEN}`]), 400);
  assert.equal(await refusedStatus(`${url}/ws`, ['kith.v1', `bearer.${GOOD_TOKEN}`], bearer), 400);
});

test('a disallowed Origin is refused with 403 when origins are configured', async (t) => {
  const { url } = await startGateway(t, { allowedOrigins: ['https://app.kith.example'] });
  const from = (origin: string) => ({ ...bearer, origin });
  assert.equal(await refusedStatus(`${url}/ws`, [], from('https://evil.example')), 403);
  const allowed = await connect(t, `${url}/ws`, [], from('https://app.kith.example'));
  assert.equal((await allowed.frame(1)).type, 'hello');
  // Non-browser clients send no Origin and are not subject to the check.
  const native = await connect(t, `${url}/ws`, [], bearer);
  assert.equal((await native.frame(1)).type, 'hello');
});

test('a failing verifier answers 503, not 401', async (t) => {
  const { url } = await startGateway(t, {
    authenticate: () => Promise.reject(new Error('jwks unreachable')),
  });
  assert.equal(await refusedStatus(`${url}/ws`, [], bearer), 503);
});

test('malformed frames get an error frame and the socket stays open', async (t) => {
  const { url } = await startGateway(t);
  const client = await connect(t, `${url}/ws`, [], bearer);
  await client.frame(1);

  client.ws.send('not json');
  const notJson = await client.frame(2);
  assert.equal(notJson.payload.case, 'error');
  assert.equal(notJson.payload.value.code, ErrorCode.INVALID_FRAME);
  assert.equal(notJson.seq, 0n);

  client.ws.send(JSON.stringify({ requestId: 3 }));
  const empty = await client.frame(3);
  assert.equal(empty.payload.case === 'error' && empty.payload.value.requestId, 3);

  client.ws.send(Buffer.from('{}'), { binary: true });
  const binaryOnJson = await client.frame(4);
  assert.equal(
    binaryOnJson.payload.case === 'error' && binaryOnJson.payload.value.code,
    ErrorCode.INVALID_FRAME,
  );

  // Field rules of realtime.proto: a topic name outside the grammar, a resume without cursors.
  client.ws.send(JSON.stringify({ requestId: 7, subscribe: { topic: 'circle:NOT-A-UUID' } }));
  client.ws.send(JSON.stringify({ requestId: 8, resume: { cursors: [] } }));
  client.ws.send(JSON.stringify({ requestId: 9, ack: { topic: 'user', seq: '0' } }));
  await client.frame(7);
  assert.deepEqual(
    client.frames
      .slice(4)
      .map((f) => f.payload.case === 'error' && [f.payload.value.code, f.payload.value.requestId]),
    [
      [ErrorCode.INVALID_FRAME, 7],
      [ErrorCode.INVALID_FRAME, 8],
      [ErrorCode.INVALID_FRAME, 9],
    ],
  );
  assert.match(
    client.frames[4]!.payload.case === 'error' ? client.frames[4]!.payload.value.message : '',
    /topic/,
  );
  assert.equal(client.ws.readyState, client.ws.OPEN);
});

test('a message above 64 KiB closes the socket with 1009', async (t) => {
  const { url } = await startGateway(t);
  const client = await connect(t, `${url}/ws`, [], bearer);
  await client.frame(1);
  client.ws.send('x'.repeat(64 * 1024 + 1));
  assert.equal((await client.closed).code, 1009);
});
