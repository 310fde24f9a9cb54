import assert from 'node:assert/strict';
import { test } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { waitFor } from '@kith/testkit';
import { CloseReason } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { connect, GOOD_TOKEN, refusedStatus, socketGauge, startGateway } from './test-harness.js';

const bearer = { headers: { authorization: `Bearer ${GOOD_TOKEN}` } };
const HEARTBEAT_MS = 50;

test('heartbeats arrive every interval with increasing nonces', async (t) => {
  const { url } = await startGateway(t, { heartbeatMs: HEARTBEAT_MS });
  const client = await connect(t, `${url}/ws`, [], bearer);
  let wsPings = 0;
  client.ws.on('ping', () => (wsPings += 1));
  const started = Date.now();
  await client.frame(1 + 5);
  // Five pings take about five intervals: not bunched up, not slower than asked.
  assert.ok(Date.now() - started >= 4 * HEARTBEAT_MS);
  const pings = client.frames.slice(1);
  assert.deepEqual(
    pings.map((f) => f.payload.case === 'ping' && f.payload.value.nonce),
    [1n, 2n, 3n, 4n, 5n],
  );
  assert.ok(pings.every((f) => f.type === 'ping' && f.v === 1 && f.seq === 0n));
  assert.ok(wsPings >= 4);
  // The ws client answers protocol pings by itself, well past the two-interval limit.
  assert.equal(client.ws.readyState, client.ws.OPEN);
});

test('a client that answers no ping is closed with 4408 after two intervals', async (t) => {
  const { url, metrics } = await startGateway(t, { heartbeatMs: HEARTBEAT_MS });
  const started = Date.now();
  const client = await connect(t, `${url}/ws`, [], { ...bearer, autoPong: false });
  const { code } = await client.closed;
  assert.equal(code, 4408);
  assert.ok(Date.now() - started >= 3 * HEARTBEAT_MS);
  const last = client.frames.at(-1)!;
  assert.equal(last.payload.case, 'closing');
  assert.equal(last.payload.value.reason, CloseReason.HEARTBEAT_TIMEOUT);
  assert.equal(last.payload.value.closeCode, 4408);
  await waitFor(async () => (await socketGauge(metrics)) === 0, { what: 'gauge at 0' });
});

test('pong frames count as answers', async (t) => {
  const { url } = await startGateway(t, { heartbeatMs: HEARTBEAT_MS });
  const client = await connect(t, `${url}/ws`, [], { ...bearer, autoPong: false });
  client.ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { ping?: { nonce?: string } };
    if (frame.ping) client.ws.send(JSON.stringify({ pong: { nonce: frame.ping.nonce } }));
  });
  await sleep(6 * HEARTBEAT_MS);
  assert.equal(client.ws.readyState, client.ws.OPEN);
});

test('close() sends a closing frame with a reconnect hint and closes with 1001', async (t) => {
  const { url, gateway, metrics } = await startGateway(t);
  const clients = [
    await connect(t, `${url}/ws`, [], bearer),
    await connect(t, `${url}/ws`, ['kith.v1', `bearer.${GOOD_TOKEN}`]),
  ];
  for (const client of clients) await client.frame(1);
  assert.equal(await socketGauge(metrics), 2);

  await gateway.close();
  for (const client of clients) {
    assert.equal((await client.closed).code, 1001);
    const closing = client.frames.at(-1)!;
    assert.equal(closing.payload.case, 'closing');
    assert.equal(closing.payload.value.reason, CloseReason.SERVER_SHUTDOWN);
    assert.equal(closing.payload.value.closeCode, 1001);
    assert.equal(closing.payload.value.reconnect, true);
    assert.ok(durationMs(closing.payload.value.reconnectAfter!) > 0);
  }
  assert.equal(await socketGauge(metrics), 0);
  assert.equal(await refusedStatus(`${url}/ws`, [], bearer), 503);
});

test('a client that does not read is cut as a slow consumer (4429)', async (t) => {
  // Nothing leaves the server's socket while corked, so its send buffer only grows: the
  // handshake response alone exceeds the 64-byte bound, and the first frame trips the guard.
  const { url, rawSockets } = await startGateway(
    t,
    { heartbeatMs: HEARTBEAT_MS, maxBufferedBytes: 64, closeGraceMs: 2_000 },
    (socket) => socket.cork(),
  );
  const opening = connect(t, `${url}/ws`, [], bearer);
  await sleep(4 * HEARTBEAT_MS);
  rawSockets[0]!.uncork();
  const client = await opening;
  assert.equal((await client.closed).code, 4429);
  const types = client.frames.map((f) => f.type);
  assert.deepEqual(types, ['closing']);
  const closing = client.frames[0]!;
  assert.equal(
    closing.payload.case === 'closing' && closing.payload.value.reason,
    CloseReason.SLOW_CONSUMER,
  );
});
