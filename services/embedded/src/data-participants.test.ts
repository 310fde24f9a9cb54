import assert from 'node:assert/strict';
import { afterAll, beforeAll, test } from 'vitest';
import { KithService } from '@kith/gen/kith/events/v1/data_events_pb.js';
import type { ServiceModule } from '@kith/runtime';
import { startServiceHarness } from '@kith/testkit';
import type { ServiceHarness } from '@kith/testkit';
import { DATA_PARTICIPANTS } from '@kith/user-service';
import { allModules } from './modules.js';

// The data sagas wait for exactly the services in DATA_PARTICIPANTS. A service that consumes
// user.export_requested (it writes a part) or user.erased (it acknowledges) must be on the list,
// or its part and acknowledgement are ignored; one on the list that consumes neither makes every
// export fail after 24 h and every erasure wait forever. This checks the list against what the
// modules actually subscribe to when they run (a consumer that lists the event type among its
// `ignores` acknowledges it unread, so it does not count).

const EXPORT_REQUESTED = 'kith.events.user.export_requested';
const ERASED = 'kith.events.user.erased';

/** Whether a NATS subject filter (`*` one token, `>` the rest) takes `subject`. */
function takes(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

const consumed = new Map<string, { subjects: string; ignores: readonly string[] }[]>();

/** The module as the host runs it, recording the subjects of the consumers it builds. */
function recording(module: ServiceModule): ServiceModule {
  return {
    ...module,
    async create(ctx, overrides) {
      const parts = await module.create(ctx, overrides);
      consumed.set(
        module.name,
        (parts.consumers ?? []).map((c) => ({ subjects: c.subjects, ignores: c.ignores ?? [] })),
      );
      return parts;
    },
  } as ServiceModule;
}

let h: ServiceHarness;
beforeAll(async () => {
  h = await startServiceHarness({
    modules: allModules.map(recording),
    env: { AUTH_LINK_BASE_URL: 'http://app.kith.test' },
  });
});
afterAll(async () => {
  await h?.stop();
});

/** The services whose running module consumes `subject`. */
function consumersOf(subject: string): KithService[] {
  const services: KithService[] = [];
  for (const [name, subjects] of consumed) {
    const type = subject.replace(/^kith\.events\./, '');
    if (!subjects.some((c) => takes(c.subjects, subject) && !c.ignores.includes(type))) continue;
    const service = KithService[name.toUpperCase() as keyof typeof KithService];
    assert.ok(service !== undefined, `${name} consumes ${subject} but is no KithService`);
    services.push(service);
  }
  return services.sort();
}

test('every module ran and was recorded', () => {
  assert.deepEqual([...consumed.keys()].sort(), allModules.map((m) => m.name).sort());
});

test('the services that write an export part are exactly the data saga participants', () => {
  assert.deepEqual(consumersOf(EXPORT_REQUESTED), [...DATA_PARTICIPANTS].sort());
});

test('the services that acknowledge an erasure are exactly the participants (the user service acknowledges its own)', () => {
  const acknowledging = new Set([...consumersOf(ERASED), KithService.USER]);
  assert.deepEqual([...acknowledging].sort(), [...DATA_PARTICIPANTS].sort());
});
