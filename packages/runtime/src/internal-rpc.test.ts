import { Code, ConnectError } from '@connectrpc/connect';
import { localPgliteHarness, testLogger } from '@kith/bus/testing';
import type { BusHarness } from '@kith/bus/testing';
import { UserInternalService } from '@kith/gen/kith/user/v1/internal_pb.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { internalClient, internalSubject, serveInternal } from './internal-rpc.js';

const REPORTER = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const ANN = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const GONE = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d';

async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe('internal request/reply over the bus', () => {
  let harness: BusHarness;
  beforeAll(async () => {
    harness = await localPgliteHarness();
  });
  afterAll(() => harness.teardown());

  test('the subject is kith.internal.<domain>.<Method>', () => {
    expect(internalSubject(UserInternalService, UserInternalService.method.getReportSnapshot)).toBe(
      'kith.internal.user.GetReportSnapshot',
    );
  });

  test('answers, and carries the responder error codes, validation and hidden internal errors', async () => {
    const bus = await harness.createBus();
    const subs = await serveInternal(
      bus,
      UserInternalService,
      {
        async getReportSnapshot(req) {
          if (req.id === GONE) throw new ConnectError('profile not found', Code.NotFound);
          if (req.id === REPORTER) throw new Error('secret database detail');
          return { profile: { userId: req.id, username: 'ann' } };
        },
      },
      testLogger(),
    );
    const client = internalClient(bus, UserInternalService);
    const answer = await client.getReportSnapshot({ reporterId: REPORTER, id: ANN });
    expect(answer.profile?.username).toBe('ann');
    await expect(client.getReportSnapshot({ reporterId: REPORTER, id: GONE })).rejects.toThrow(
      'profile not found',
    );
    expect(await codeOf(client.getReportSnapshot({ reporterId: REPORTER, id: 'nope' }))).toBe(
      Code.InvalidArgument,
    );
    const internal = client.getReportSnapshot({ reporterId: REPORTER, id: REPORTER });
    await expect(internal).rejects.toThrow('internal error');
    expect(await codeOf(internal)).toBe(Code.Internal);
    for (const sub of subs) await sub.stop();
  });

  test('nobody serving answers Unavailable, and the breaker then stops asking', async () => {
    const bus = await harness.createBus();
    let now = 0;
    const client = internalClient(bus, UserInternalService, {
      breakerThreshold: 2,
      breakerCooldownMs: 1000,
      now: () => now,
    });
    const ask = () => client.getReportSnapshot({ reporterId: REPORTER, id: ANN });
    expect(await codeOf(ask())).toBe(Code.Unavailable);
    expect(await codeOf(ask())).toBe(Code.Unavailable);
    await expect(ask()).rejects.toThrow('circuit open');
    now = 1001;
    await expect(ask()).rejects.toThrow('no responders');
  });
});
