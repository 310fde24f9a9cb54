import type { ServiceImpl } from '@connectrpc/connect';
import type { SupportService } from '@kith/gen/kith/support/v1/support_pb.js';
import { signedInCaller } from '@kith/runtime';
import type { SupportApp } from '../app.js';
import { getSafetyPinStatus, setSafetyPins } from '../pins/pins.js';
import { cancelSos, resolveIncident } from './close.js';
import { shareLocation, stopSharingLocation } from './location.js';
import { addIncidentNote } from './notes.js';
import { createHelpRequest, raiseSos } from './raise.js';
import { getIncident, getIncidentTimeline, listIncidents, listResponders } from './reads.js';
import { acknowledge, claimResponse, respond } from './responses.js';

/**
 * Help requests, SOS, PINs, responders, location sharing, notes and the incident reads. Every
 * RPC needs a signed-in caller; retries are deduplicated by the idempotency interceptor.
 */
export function incidentHandlers(app: SupportApp): Partial<ServiceImpl<typeof SupportService>> {
  return {
    createHelpRequest: (req, ctx) => createHelpRequest(app, signedInCaller(app, ctx), req),
    raiseSos: (req, ctx) => raiseSos(app, signedInCaller(app, ctx), req),
    async cancelSos(req, ctx) {
      return { incident: await cancelSos(app, signedInCaller(app, ctx), req) };
    },
    async setSafetyPins(req, ctx) {
      return { status: await setSafetyPins(app, signedInCaller(app, ctx), req) };
    },
    async getSafetyPinStatus(_req, ctx) {
      return { status: await getSafetyPinStatus(app, signedInCaller(app, ctx)) };
    },
    async acknowledge(req, ctx) {
      return { responder: await acknowledge(app, signedInCaller(app, ctx), req) };
    },
    async respond(req, ctx) {
      return { responder: await respond(app, signedInCaller(app, ctx), req) };
    },
    async claimResponse(req, ctx) {
      return { incident: await claimResponse(app, signedInCaller(app, ctx), req) };
    },
    async shareLocation(req, ctx) {
      return { locationShare: await shareLocation(app, signedInCaller(app, ctx), req) };
    },
    async stopSharingLocation(req, ctx) {
      await stopSharingLocation(app, signedInCaller(app, ctx), req);
      return {};
    },
    async resolve(req, ctx) {
      return { incident: await resolveIncident(app, signedInCaller(app, ctx), req) };
    },
    async addIncidentNote(req, ctx) {
      return { entry: await addIncidentNote(app, signedInCaller(app, ctx), req) };
    },
    async getIncident(req, ctx) {
      return { incident: await getIncident(app, signedInCaller(app, ctx), req.incidentId) };
    },
    listIncidents: (req, ctx) => listIncidents(app, signedInCaller(app, ctx), req),
    listResponders: (req, ctx) => listResponders(app, signedInCaller(app, ctx), req),
    getIncidentTimeline: (req, ctx) => getIncidentTimeline(app, signedInCaller(app, ctx), req),
  };
}
