import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NotFoundError } from '@kith/errors';
import type {
  GetReportSnapshotRequest,
  RecordDeliveriesRequest,
} from '@kith/gen/kith/support/v1/internal_pb.js';
import { SupportInternalService } from '@kith/gen/kith/support/v1/internal_pb.js';
import { ResponderState } from '@kith/gen/kith/support/v1/types_pb.js';
import { internalServiceDaemon } from '@kith/runtime';
import type { Daemon } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { RANK } from '../incidents/escalation.js';
import {
  alertedAmong,
  findIncident,
  findResponder,
  ownedAmong,
  respondersAmong,
  updateResponder,
} from '../incidents/incident-store.js';
import { recordChanges, silentFor } from '../incidents/record.js';

/**
 * RecordDeliveries: the first receipt per responder moves NOTIFIED to DELIVERED (its own change
 * and support.alert_delivered); later receipts and unknown pairs are ignored. Never touches the
 * ladder. The receipts of one incident are recorded in one transaction: the gateway sends a
 * burst of them (every alerted member's socket acknowledges the same alert).
 */
async function recordDeliveries(app: SupportApp, req: RecordDeliveriesRequest): Promise<void> {
  const byIncident = new Map<string, RecordDeliveriesRequest['deliveries']>();
  for (const d of req.deliveries) {
    const list = byIncident.get(d.incidentId) ?? [];
    list.push(d);
    byIncident.set(d.incidentId, list);
  }
  for (const [incidentId, deliveries] of byIncident) {
    await app.database.transaction(async (trx) => {
      const row = await findIncident(trx, incidentId, true);
      if (!row) return;
      const responders = await respondersAmong(
        trx,
        incidentId,
        deliveries.map((d) => d.userId),
      );
      const delivered: { userId: string; channel: number; at: Date }[] = [];
      for (const d of deliveries) {
        const responder = responders.get(d.userId);
        if (!responder || responder.delivered_at !== null) continue;
        const at = d.deliveredAt ? timestampDate(d.deliveredAt) : app.clock();
        // A second receipt of the responder in this request is a later one.
        responder.delivered_at = at;
        await updateResponder(trx, row.id, d.userId, {
          delivered_at: at,
          ...(responder.state === ResponderState.NOTIFIED
            ? { state: ResponderState.DELIVERED, rank: RANK[ResponderState.DELIVERED]! }
            : {}),
        });
        delivered.push({ userId: d.userId, channel: d.channel, at });
      }
      if (delivered.length === 0) return;
      const silent = silentFor(row);
      const { versions } = await recordChanges(
        trx,
        row,
        app.clock(),
        delivered.map((d) => [
          {
            event: { case: 'delivered', value: { userId: d.userId, channel: d.channel } },
            actorId: null,
          },
        ]),
      );
      await app.emitMany(
        trx,
        delivered.map((d, i) => ({
          actorId: null,
          payload: {
            case: 'supportAlertDelivered',
            value: {
              incidentId: row.id,
              ownerId: row.owner_id,
              responderId: d.userId,
              channel: d.channel,
              deliveredAt: timestampFromDate(d.at),
              version: versions[i]!,
              silent,
            },
          },
        })),
      );
    });
  }
}

/** GetReportSnapshot: the content only (never location, device or responders). */
async function getReportSnapshot(app: SupportApp, req: GetReportSnapshotRequest) {
  const db = app.database.db;
  const row = await findIncident(db, req.id);
  const allowed =
    row && (row.owner_id === req.reporterId || (await findResponder(db, row.id, req.reporterId)));
  if (!row || !allowed) throw new NotFoundError('incident not found');
  return {
    incident: {
      incidentId: row.id,
      kind: row.kind,
      ownerId: row.owner_id,
      message: row.message,
      helpType: row.help_type,
      severity: row.severity,
      emergencyKind: row.emergency_kind,
      createdAt: timestampFromDate(row.created_at),
      incidentVersion: BigInt(row.version),
    },
  };
}

/**
 * SupportInternalService on the bus (NATS request/reply only): the gateway's topic checks
 * (`incident:<id>` for owners, `responders:<id>` for the alerted), delivery receipts, and
 * moderation's report snapshots.
 */
export function supportInternalService(app: SupportApp): Daemon {
  return internalServiceDaemon(
    'support-internal-service',
    app.ctx.bus,
    SupportInternalService,
    {
      authorizeTopics: async (req) => ({
        allowedIds: await ownedAmong(app.database.db, req.userId, req.ids),
      }),
      authorizeResponderTopics: async (req) => ({
        allowedIds: await alertedAmong(app.database.db, req.userId, req.ids),
      }),
      recordDeliveries: async (req) => {
        await recordDeliveries(app, req);
        return {};
      },
      getReportSnapshot: (req) => getReportSnapshot(app, req),
    },
    app.logger,
  );
}
