import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { afterAll, beforeAll, test } from 'vitest';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { encodeEvent, eventSubject } from '@kith/bus';
import type { OutboxTables } from '@kith/bus';
import { withTables } from '@kith/db';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { DataExportPartReady } from '@kith/gen/kith/events/v1/data_events_pb.js';
import {
  decodeEvent,
  eventType,
  exportBucketDir,
  filesystemBlobStorage,
  partObjectKey,
  sha256Hex,
} from '@kith/runtime';
import { waitFor } from '@kith/testkit';
import { strFromU8, unzipSync } from 'fflate';
import { seedUser, startAuthHarness } from '../testing/index.js';
import type { AuthHarness } from '../testing/index.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuthHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** user.export_requested as the user service publishes it (it is not running here). */
async function exportRequested(userId: string, dataExportId: string): Promise<void> {
  const id = crypto.randomUUID();
  const type = eventType('userExportRequested');
  await h.app.bus.publish({
    id,
    subject: eventSubject(type),
    data: encodeEvent({
      id,
      type,
      occurredAt: timestampFromDate(h.clock.now()),
      actor: { kind: { case: 'service', value: 'user' } },
      schemaVersion: 1,
      source: 'user',
      payload: { case: 'userExportRequested', value: { userId, dataExportId } },
    }),
    headers: {},
  });
}

/** The part auth announced for the export, once it has. */
async function announced(dataExportId: string): Promise<DataExportPartReady> {
  const outbox = withTables<OutboxTables>(h.app.database.db);
  let found: DataExportPartReady | undefined;
  await waitFor(
    async () => {
      const rows = await outbox.selectFrom('outbox').select('data').execute();
      for (const row of rows) {
        const { payload } = decodeEvent(row.data);
        if (payload.case === 'dataExportPartReady' && payload.value.dataExportId === dataExportId) {
          found = payload.value;
        }
      }
      return found !== undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, what: "auth's data.export_part_ready" },
  );
  return found!;
}

const bucket = () => filesystemBlobStorage(exportBucketDir({ env: {}, config: h.kith.config }));

test("auth writes the account's part where the saga says and announces it with its sha256 and size", async () => {
  const user = await seedUser(h);
  const dataExportId = crypto.randomUUID();
  await exportRequested(user.userId, dataExportId);
  const part = await announced(dataExportId);
  assert.equal(part.service, KithService.AUTH);
  assert.equal(part.userId, user.userId);
  assert.equal(part.objectKey, partObjectKey(dataExportId, KithService.AUTH));
  const zip = await bucket().get(part.objectKey);
  assert.ok(zip, 'the part is in the export bucket');
  assert.equal(part.sha256, sha256Hex(zip));
  assert.equal(part.sizeBytes, BigInt(zip.length));
  const files = unzipSync(zip);
  assert.deepEqual(Object.keys(files).sort(), [
    'account.json',
    'api_keys.json',
    'audit_log.json',
    'known_devices.json',
    'linked_identities.json',
    'mfa.json',
    'sessions.json',
  ]);
  const account = JSON.parse(strFromU8(files['account.json']!)) as Record<string, unknown>;
  assert.equal(account.id, user.userId);
  assert.equal(account.email, user.email);
});

test('an account auth does not hold still gets its (empty) part announced', async () => {
  const dataExportId = crypto.randomUUID();
  const nobody = crypto.randomUUID();
  await exportRequested(nobody, dataExportId);
  const part = await announced(dataExportId);
  const files = unzipSync((await bucket().get(part.objectKey))!);
  assert.equal(JSON.parse(strFromU8(files['account.json']!)), null);
  assert.deepEqual(JSON.parse(strFromU8(files['sessions.json']!)), []);
});
