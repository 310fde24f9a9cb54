import type { DescService } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import assert from 'node:assert/strict';

/** What a call answered: `ok`, or the Connect code it failed with. */
export type Answer = 'ok' | Code;

/**
 * One RPC that takes an id, called once per actor. Every actor the matrix names must have an
 * expectation, so adding an actor (say, "blocked") forces a decision for every row.
 */
export interface AccessRow<A extends string, F = unknown> {
  /** `package.Service/Method`, e.g. from `rpc(Service, 'method')`. */
  method: string;
  /** A fresh world for one actor's call: the owner's resource and whatever the actors need. */
  setup(): Promise<F>;
  call(actor: A, fixture: F): Promise<unknown>;
  expect: Readonly<Record<A, Answer>>;
  /** Runs after every refused call: the resource is exactly as it was (a refusal changes nothing). */
  intact?(fixture: F): Promise<void>;
}

/** Keeps each row's fixture type while the matrix holds rows of different fixtures. */
export function accessRow<A extends string, F>(row: AccessRow<A, F>): AccessRow<A> {
  return row; // methods are bivariant in their parameters: a row of any fixture fits
}

type TestFn = (name: string, fn: () => Promise<void>) => unknown;

async function answerOf(call: Promise<unknown>): Promise<Answer> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    if (err instanceof ConnectError) return err.code;
    throw err;
  }
}

const describeAnswer = (a: Answer) => (a === 'ok' ? 'ok' : Code[a]);

/**
 * Registers one test per row and actor (`RevokeSession as other → NotFound`). Refusals run on a
 * world of their own and then check `intact`; the permitted call runs on its own world too.
 */
export function accessMatrix<A extends string>(
  test: TestFn,
  actors: readonly A[],
  rows: readonly AccessRow<A>[],
): void {
  for (const row of rows) {
    for (const actor of actors) {
      const expected = row.expect[actor];
      const name = `${row.method.split('/')[1]} as ${actor} → ${describeAnswer(expected)}`;
      test(name, async () => {
        const fixture = await row.setup();
        const answer = await answerOf(row.call(actor, fixture));
        assert.equal(describeAnswer(answer), describeAnswer(expected), `${row.method} as ${actor}`);
        if (expected !== 'ok') await row.intact?.(fixture);
      });
    }
  }
}

/** Every method of the services whose request has a top-level `*_id` or `*_ids` field. */
export function methodsTakingIds(services: readonly DescService[]): string[] {
  return services.flatMap((service) =>
    service.methods
      .filter((m) => m.input.fields.some((f) => /_ids?$/.test(f.name)))
      .map((m) => `${service.typeName}/${m.name}`),
  );
}

/**
 * Fails unless every id-taking method of the services has a row in the matrix or an exemption
 * with its reason (covered elsewhere, public by design…), so a new RPC cannot skip the matrix.
 */
export function assertEveryIdMethodCovered(
  services: readonly DescService[],
  rows: readonly AccessRow<string>[],
  exempt: Readonly<Record<string, string>>,
): void {
  const covered = new Set([...rows.map((r) => r.method), ...Object.keys(exempt)]);
  const missing = methodsTakingIds(services).filter((m) => !covered.has(m));
  assert.deepEqual(missing, [], 'methods that take an id but are neither in the matrix nor exempt');
  const known = new Set(services.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)));
  const stale = [...covered].filter((m) => !known.has(m));
  assert.deepEqual(stale, [], 'matrix rows or exemptions naming methods that do not exist');
}
