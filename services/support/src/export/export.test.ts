import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, test } from 'vitest';
import { toJsonString } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import {
  ExportFormat,
  GetIncidentTimelineResponseSchema,
} from '@kith/gen/kith/support/v1/support_pb.js';
import { IncidentStatus } from '@kith/gen/kith/support/v1/types_pb.js';
import { toConnectError } from '@kith/errors';
import type { SignedInCaller } from '@kith/runtime';
import { codeOf } from '@kith/testkit';
// By path: the support package does not depend on the auth service; its harness issues tokens.
import { seedUser, startAuthHarness, startSession } from '../../../auth/src/testing/index.js';
import { runLadders } from '../incidents/escalation.js';
import { authDeps, startSupportHarness } from '../testing/support-harness.js';
import type { Person, SupportHarness } from '../testing/support-harness.js';
import { exportIncident, MAX_WAITING_EXPORTS } from './export.js';
import { EXPORT_LINK_TTL_MS } from './export-links.js';
import { exportParts } from './export-parts.js';
import type { ExportParts } from './export-parts.js';
import { sweepExports } from './sweep.js';

// ExportIncident through its use case, and its links through the export area's own HTTP routes
// on a local server (the same routes the support process serves).

let s: SupportHarness;
let parts: ExportParts;
let server: http.Server;
let origin: string;
beforeAll(async () => {
  s = await startSupportHarness(authDeps(startAuthHarness, (h) => seedUser(h), startSession));
  parts = exportParts(s.app);
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = parts.http[`${req.method} ${path}`];
    if (route) return void route(req, res);
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await s?.stop();
});

const MINUTE = 60_000;
const CANCEL = '2468';
const DURESS = '1357';
const location = { point: { latitude: 38.7223, longitude: -9.1393 }, accuracyMeters: 12 };

const callerOf = (person: Person): SignedInCaller => ({
  principal: {
    userId: person.userId,
    role: 'user',
    via: 'access_token',
    scopes: ['*'],
    issuedAt: Math.floor(s.app.clock().getTime() / 1000),
  },
  meta: { ip: '127.0.0.1', userAgent: 'export.test', requestId: crypto.randomUUID() },
  now: s.app.clock(),
});

const exportAs = (person: Person, incidentId: string, format = ExportFormat.JSON) =>
  exportIncident(parts.exports, callerOf(person), { incidentId, format });

/** The Connect code a use case's failure answers with. */
const codeOfCall = (call: Promise<unknown>) =>
  codeOf(
    call.catch((err: unknown) => {
      throw toConnectError(err);
    }),
  );

const download = (url: string) => {
  const link = new URL(url);
  return fetch(`${origin}${link.pathname}${link.search}`);
};

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

/** An owner with PINs and a circle (one primary contact, two more members), SOS raised. */
async function raised() {
  const owner = await s.person();
  const primary = await s.person();
  const member = await s.person();
  const other = await s.person();
  const circleId = await s.circle([owner, primary, member, other], { primary: [primary] });
  await owner.support.setSafetyPins({ cancelPin: CANCEL, duressPin: DURESS });
  const { incident } = await owner.support.raiseSos({
    circleIds: [circleId],
    message: 'followed',
    location,
  });
  return { owner, primary, member, other, circleId, incidentId: incident!.incidentId };
}

type World = Awaited<ReturnType<typeof raised>>;

/** The world's ids and names swapped for placeholders, so two worlds compare. */
function normalise(text: string, w: World): string {
  let out = text.replaceAll(w.incidentId, 'INCIDENT').replaceAll(w.circleId, 'CIRCLE');
  [w.owner, w.primary, w.member, w.other].forEach((p, i) => {
    out = out.replaceAll(p.userId, `USER${i}`).replaceAll(p.username, `NAME${i}`);
  });
  return out;
}

test('the owner gets a JSON record whose SHA-256 matches the bytes, through a link that works once', async () => {
  const w = await raised();
  await w.primary.support.acknowledge({ incidentId: w.incidentId });
  const link = await exportAs(w.owner, w.incidentId);
  assert.equal(link.expiresAt.getTime(), s.app.clock().getTime() + EXPORT_LINK_TTL_MS);
  assert.match(link.sha256, /^[0-9a-f]{64}$/);

  const res = await download(link.downloadUrl);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.equal(sha256(bytes), link.sha256);

  const doc = JSON.parse(new TextDecoder().decode(bytes));
  assert.deepEqual(Object.keys(doc), ['incident', 'responders', 'timeline', 'exportedAt']);
  assert.equal(doc.incident.incidentId, w.incidentId);
  assert.equal(doc.incident.status, 'INCIDENT_STATUS_OPEN');
  assert.equal(doc.incident.message, 'followed');
  assert.equal(doc.incident.locationShare.lastLocation.point.latitude, 38.7223);
  assert.deepEqual(
    doc.responders.map((r: { user: { userId: string }; state: string }) => [
      r.user.userId,
      r.state,
    ]),
    [[w.primary.userId, 'RESPONDER_STATE_ACKNOWLEDGED']],
  );
  assert.equal(doc.exportedAt, s.app.clock().toISOString().replace('.000Z', 'Z'));
  // Exported while open: the export is on the timeline, as its last entry, in the file too.
  const { entries } = await w.owner.support.getIncidentTimeline({ incidentId: w.incidentId });
  const last = entries[entries.length - 1]!;
  assert.equal(last.event.case, 'exported');
  assert.equal(last.event.value.exportedByUserId, w.owner.userId);
  assert.deepEqual(
    doc.timeline.map((e: { sequence: string }) => e.sequence),
    entries.map((e) => e.sequence.toString()),
  );
  assert.deepEqual(doc.timeline.at(-1).exported, { exportedByUserId: w.owner.userId });

  // Once: the second use finds nothing, and the file is gone from the bucket.
  const again = await download(link.downloadUrl);
  assert.equal(again.status, 410);
  const left = await s.app.database.db.selectFrom('incident_exports').selectAll().execute();
  assert.equal(
    left.some((r) => r.incident_id === w.incidentId),
    false,
  );
});

test('a link refused once expired or tampered with, and the file deleted when it expires', async () => {
  const w = await raised();
  const link = await exportAs(w.owner, w.incidentId);
  const row = await s.app.database.db
    .selectFrom('incident_exports')
    .selectAll()
    .where('incident_id', '=', w.incidentId)
    .executeTakeFirstOrThrow();
  assert.ok(await parts.exports.blobs.get(row.object_key), 'the file waits in the bucket');

  const tampered = new URL(link.downloadUrl);
  tampered.searchParams.set('exp', String(Number(tampered.searchParams.get('exp')) + MINUTE));
  assert.equal((await download(tampered.toString())).status, 403);
  const otherId = new URL(link.downloadUrl);
  otherId.searchParams.set('id', crypto.randomUUID());
  assert.equal((await download(otherId.toString())).status, 403);

  await s.advance(EXPORT_LINK_TTL_MS);
  const expired = await download(link.downloadUrl);
  assert.equal(expired.status, 410);
  assert.match(await expired.text(), /expired/);
  await sweepExports(parts.exports);
  assert.equal(await parts.exports.blobs.get(row.object_key), undefined);
  const after = await s.app.database.db
    .selectFrom('incident_exports')
    .select('id')
    .where('id', '=', row.id)
    .execute();
  assert.deepEqual(after, []);
});

test('the PDF record is a PDF whose SHA-256 matches, and renders the same document to the same bytes', async () => {
  const w = await raised();
  await w.owner.support.cancelSos({ incidentId: w.incidentId, pin: CANCEL });
  const first = await exportAs(w.owner, w.incidentId, ExportFormat.PDF);
  const second = await exportAs(w.owner, w.incidentId, ExportFormat.PDF);
  const res = await download(first.downloadUrl);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  assert.match(res.headers.get('content-disposition') ?? '', /\.pdf"$/);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 5)), '%PDF-');
  assert.match(new TextDecoder().decode(bytes.subarray(-8)), /%%EOF/);
  assert.equal(sha256(bytes), first.sha256);
  // Closed and nothing moved in between: the same file.
  assert.equal(second.sha256, first.sha256);
});

test('only the owner exports: a responder is refused, anyone else finds nothing', async () => {
  const w = await raised();
  assert.equal(await codeOfCall(exportAs(w.primary, w.incidentId)), Code.PermissionDenied);
  // Not alerted (yet): as for an incident that does not exist.
  assert.equal(await codeOfCall(exportAs(w.member, w.incidentId)), Code.NotFound);
  assert.equal(await codeOfCall(exportAs(w.owner, crypto.randomUUID())), Code.NotFound);
  const stranger = await s.person();
  assert.equal(await codeOfCall(exportAs(stranger, w.incidentId)), Code.NotFound);
});

test('after a duress cancel the owner exports exactly what a real cancel exports, and nothing is recorded', async () => {
  const real = await raised();
  const duress = await raised();
  await real.owner.support.cancelSos({ incidentId: real.incidentId, pin: CANCEL });
  await duress.owner.support.cancelSos({ incidentId: duress.incidentId, pin: DURESS });
  // The duress SOS keeps escalating for the responders meanwhile.
  await s.advance(5 * MINUTE);
  await runLadders(s.app);
  const truth = (await duress.primary.support.getIncident({ incidentId: duress.incidentId }))
    .incident!;
  assert.equal(truth.status, IncidentStatus.OPEN);
  assert.ok(truth.responders.length > 1, 'the ladder alerted more people');

  const timelines = async (w: World) =>
    [
      await w.owner.support.getIncidentTimeline({ incidentId: w.incidentId }),
      await w.primary.support.getIncidentTimeline({ incidentId: w.incidentId }),
    ].map((t) => toJsonString(GetIncidentTimelineResponseSchema, t));
  const before = { real: await timelines(real), duress: await timelines(duress) };

  const file = async (w: World, format: ExportFormat) => {
    const link = await exportAs(w.owner, w.incidentId, format);
    const bytes = new Uint8Array(await (await download(link.downloadUrl)).arrayBuffer());
    assert.equal(sha256(bytes), link.sha256);
    return bytes;
  };
  const realJson = new TextDecoder().decode(await file(real, ExportFormat.JSON));
  const duressJson = new TextDecoder().decode(await file(duress, ExportFormat.JSON));
  assert.equal(normalise(duressJson, duress), normalise(realJson, real));
  assert.doesNotMatch(duressJson, /duress/i);
  const doc = JSON.parse(realJson);
  assert.equal(doc.incident.status, 'INCIDENT_STATUS_CANCELLED');
  assert.equal(doc.timeline.at(-1).cancelled !== undefined, true);
  // The PDF is rendered from this same document alone (the PDF test shows one document gives
  // one file), so it tells the two apart no more than the JSON does.
  await file(duress, ExportFormat.PDF);

  // Exporting after the close changed no one's reads.
  assert.deepEqual(await timelines(real), before.real);
  assert.deepEqual(await timelines(duress), before.duress);
});

test('an owner may have a bounded number of exports waiting for their download', async () => {
  const w = await raised();
  const links = [];
  for (let i = 0; i < MAX_WAITING_EXPORTS; i++) links.push(await exportAs(w.owner, w.incidentId));
  assert.equal(await codeOfCall(exportAs(w.owner, w.incidentId)), Code.ResourceExhausted);
  // A download frees a place.
  assert.equal((await download(links[0]!.downloadUrl)).status, 200);
  assert.equal(await codeOfCall(exportAs(w.owner, w.incidentId)), 'ok');
});
