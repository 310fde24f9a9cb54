import type { Bus, LiveSubscription } from '@kith/bus';
import type { CircleInternalService } from '@kith/gen/kith/circle/v1/internal_pb.js';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Logger } from '@kith/logging';
import { decodeEvent } from './events.js';
import type { InternalClient } from './internal-rpc.js';

/** One circle as the view holds it: whether it is deleted, and every membership by user. */
interface HeldCircle {
  /** The circle aggregate's version the deletion state is from. */
  version: bigint;
  deleted: boolean;
  /** By user: the role (0 once they left or were removed) and the membership's version. */
  members: Map<string, { role: number; version: bigint }>;
  /** Events that arrived while the circle was loading, applied once it is. */
  pending?: CircleEvent[];
}

type CircleEvent = ReturnType<typeof decodeEvent>['payload'];

/** A membership's role (0: gone) as of `version`, unless the view holds a newer one. */
function setMembership(circle: HeldCircle, userId: string, role: number, version: bigint): void {
  const held = circle.members.get(userId);
  if (!held || version > held.version) circle.members.set(userId, { role, version });
}

/** Applies one circle event to a held circle by version; older and repeated events change nothing. */
function applyTo(circle: HeldCircle, payload: CircleEvent): void {
  const membership = (userId: string, role: number, version: bigint) =>
    setMembership(circle, userId, role, version);
  switch (payload.case) {
    case 'circleMemberJoined':
      membership(payload.value.userId, payload.value.role, payload.value.version);
      break;
    case 'circleRoleChanged':
      membership(payload.value.userId, payload.value.newRole, payload.value.version);
      break;
    case 'circleMemberLeft':
    case 'circleMemberRemoved':
      membership(payload.value.userId, 0, payload.value.version);
      break;
    case 'circleDeleted':
    case 'circleRestored':
      if (payload.value.version > circle.version) {
        circle.version = payload.value.version;
        circle.deleted = payload.case === 'circleDeleted';
      }
      break;
    default:
      break;
  }
}

/** The circle an event is about, for the events the view applies; undefined for the others. */
function circleOf(payload: CircleEvent): string | undefined {
  switch (payload.case) {
    case 'circleMemberJoined':
    case 'circleRoleChanged':
    case 'circleMemberLeft':
    case 'circleMemberRemoved':
    case 'circleDeleted':
    case 'circleRestored':
    case 'circlePurged':
      return payload.value.circleId;
    default:
      return undefined;
  }
}

export interface CircleMemberships {
  /**
   * The user's role in the circle (CircleRole), or undefined when they are not a member or the
   * circle is deleted or gone. Loads the circle's members from the circle service first when the
   * view does not hold them (ListCircleMemberships); after that, from memory.
   */
  roleOf(circleId: string, userId: string): Promise<number | undefined>;
  /** The same from memory only: null when the view does not hold the circle. */
  peek(circleId: string, userId: string): number | undefined | null;
  /** Stops following the circle events. */
  stop(): void;
}

/**
 * A process's in-memory view of circle memberships, for the services that check them on a hot
 * path (post, support, the realtime gateway): each circle is loaded whole on first use from the
 * circle service (CircleInternalService.ListCircleMemberships, every page) and then kept current
 * by the circle.* events, which every process sees live (Bus.subscribeLive) and applies by
 * version, so their order and repeats do not matter; events that arrive during a load are
 * applied after it. When the live feed may have missed events (the broker connection dropped),
 * the view forgets everything and reloads on use. At most `maxCircles` circles are held; the
 * least recently used go first.
 */
export function circleMemberships(options: {
  bus: Bus;
  circles: InternalClient<typeof CircleInternalService>;
  logger: Logger;
  maxCircles?: number;
}): CircleMemberships {
  const maxCircles = options.maxCircles ?? 10_000;
  // Map order is use order: a hit moves the circle to the end, eviction takes the first.
  const held = new Map<string, HeldCircle>();
  const loading = new Map<string, Promise<HeldCircle>>();

  const onEvent = (data: Uint8Array) => {
    let payload: CircleEvent;
    try {
      payload = decodeEvent(data).payload;
    } catch (err) {
      options.logger.warn({ err }, 'undecodable circle event ignored');
      return;
    }
    const circleId = circleOf(payload);
    if (circleId === undefined) return;
    const circle = held.get(circleId);
    if (!circle) return; // not held: it is loaded fresh on use
    if (payload.case === 'circlePurged') {
      held.delete(circleId);
      return;
    }
    if (circle.pending) circle.pending.push(payload);
    else applyTo(circle, payload);
  };
  const subscription: LiveSubscription = options.bus.subscribeLive(
    'kith.events.circle.>',
    (m) => onEvent(m.data),
    {
      onInterrupted: () => {
        held.clear();
      },
    },
  );

  async function load(circleId: string): Promise<HeldCircle> {
    // Held (with its queue) before the first page is asked for: no event is missed meanwhile.
    const circle: HeldCircle = { version: 0n, deleted: false, members: new Map(), pending: [] };
    held.set(circleId, circle);
    try {
      let pageToken = '';
      do {
        const page = await options.circles.listCircleMemberships({
          circleId,
          pageSize: 500,
          pageToken,
        });
        if (page.circleVersion > circle.version) {
          circle.version = page.circleVersion;
          circle.deleted = page.circleDeleted;
        }
        for (const m of page.memberships) setMembership(circle, m.userId, m.role, m.version);
        pageToken = page.nextPageToken;
      } while (pageToken);
    } catch (err) {
      if (!(err instanceof ConnectError && err.code === Code.NotFound)) {
        held.delete(circleId);
        throw err;
      }
      // Purged or never there: nobody is a member.
      circle.deleted = true;
    }
    for (const payload of circle.pending ?? []) applyTo(circle, payload);
    delete circle.pending;
    while (held.size > maxCircles) held.delete(held.keys().next().value!);
    return circle;
  }

  const roleIn = (circle: HeldCircle, userId: string) => {
    if (circle.deleted) return undefined;
    const role = circle.members.get(userId)?.role;
    return role ? role : undefined;
  };

  return {
    peek(circleId, userId) {
      const circle = held.get(circleId);
      if (!circle || circle.pending) return null;
      held.delete(circleId);
      held.set(circleId, circle);
      return roleIn(circle, userId);
    },
    async roleOf(circleId, userId) {
      const known = this.peek(circleId, userId);
      if (known !== null) return known;
      let loaded = loading.get(circleId);
      if (!loaded) {
        loaded = load(circleId).finally(() => loading.delete(circleId));
        loading.set(circleId, loaded);
      }
      return roleIn(await loaded, userId);
    },
    stop() {
      subscription.unsubscribe();
      held.clear();
    },
  };
}
