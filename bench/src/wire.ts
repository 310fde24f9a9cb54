// Protobuf binary encoding: @bufbuild/protobuf's toBinary beside @kith/wire's encodeBinary (the
// same bytes, planned once per type; ADR 0025), interleaved call by call over the same messages:
// 1. ListMyCirclesResponse with 50 circles, each with the caller's membership (about 10 KiB);
// 2. GetHomeTimelineResponse with 50 posts (text, author, audience, counts, viewer state);
// 3. an event envelope as the outbox relay publishes it;
// 4. a small response (a circle).
// Each figure is the median of 5 rounds of `--calls` encodings after a warm-up.
//   pnpm bench:wire [-- --calls 20000]
import { parseArgs } from 'node:util';
import { create, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ListMyCirclesResponseSchema } from '@kith/gen/kith/circle/v1/circle_pb.js';
import { CircleRole, CircleSchema, JoinRule } from '@kith/gen/kith/circle/v1/types_pb.js';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import { GetHomeTimelineResponseSchema } from '@kith/gen/kith/post/v1/timeline_pb.js';
import { encodeBinary } from '@kith/wire';
import { benchArgs } from './args.js';

const { values } = parseArgs({
  args: benchArgs(),
  options: { calls: { type: 'string', default: '20000' } },
});
const calls = Number(values.calls);

const at = (i: number) => timestampFromMs(1_765_000_000_000 + i * 61_000);
const id = (i: number) => `0193a5c4-7d2e-7b1a-9c3f-${String(i).padStart(12, '0')}`;
const summary = (i: number) => ({
  userId: id(1000 + i),
  username: `member${i}`,
  displayName: `Member Number ${i}`,
  avatarUrl: `https://media.kith.example/avatars/${id(i)}.webp`,
});

const circle = (i: number) =>
  create(CircleSchema, {
    circleId: id(i),
    name: `Neighbours of Elm Street ${i}`,
    description: 'We look out for each other: lifts, meals, a hand when one of us needs it.',
    joinRule: JoinRule.INVITE_ONLY,
    memberCap: 150,
    memberCount: 5 + i,
    ownerId: id(9000),
    createdAt: at(i),
    updatedAt: at(i + 1),
    membership: {
      user: summary(i),
      role: CircleRole.MEMBER,
      safety: { responder: i % 2 === 0 },
      joinedAt: at(i + 2),
      version: BigInt(3 + i),
    },
    version: BigInt(1 + (i % 4)),
    rulesVersion: 1,
  });

const circles = create(ListMyCirclesResponseSchema, {
  circles: Array.from({ length: 50 }, (_, i) => circle(i)),
  nextPageToken: 'djEuZXlKaklqb2lNakF5Tmkwd01TMHdNVlF3TURvd01Eb3dNRm9pZlEuc2lnbmF0dXJl',
});

const home = create(GetHomeTimelineResponseSchema, {
  items: Array.from({ length: 50 }, (_, i) => ({
    post: {
      postId: id(5000 + i),
      author: summary(i % 7),
      text: `Day ${i} of the garden: the tomatoes are finally red, and the neighbours' kids helped with the watering again. Thank you all! #garden #elmstreet`,
      language: 'en',
      audience: { kind: { case: 'followers' as const, value: {} } },
      hashtags: ['garden', 'elmstreet'],
      replyCount: i % 5,
      likeCount: 10 + i,
      repostCount: i % 3,
      viewer: { liked: i % 4 === 0 },
      createdAt: at(i),
      revision: 1,
      version: BigInt(1 + (i % 3)),
    },
  })),
  nextPageToken: 'djEuZXlKaklqb2lNakF5Tmkwd01TMHdNVlF3TURvd01Eb3dNRm9pZlEuc2lnbmF0dXJl',
});

const envelope = create(EnvelopeSchema, {
  id: id(7),
  type: 'user.followed',
  occurredAt: at(0),
  actor: { kind: { case: 'userId', value: id(8) } },
  trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  schemaVersion: 1,
});

interface Case {
  name: string;
  schema: DescMessage;
  message: MessageShape<DescMessage>;
}
const cases: Case[] = [
  { name: 'ListMyCircles, 50 circles', schema: ListMyCirclesResponseSchema, message: circles },
  { name: 'home timeline, 50 posts', schema: GetHomeTimelineResponseSchema, message: home },
  { name: 'event envelope', schema: EnvelopeSchema, message: envelope },
  { name: 'one circle', schema: CircleSchema, message: circle(1) },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function run(encode: () => Uint8Array): number {
  const start = performance.now();
  for (let i = 0; i < calls; i++) encode();
  return ((performance.now() - start) * 1000) / calls;
}

const lines = [
  `\n${calls} encodings per round, 5 rounds interleaved, Node ${process.version}\n`,
  'message                       bytes   toBinary µs  encodeBinary µs  speed-up',
];
for (const c of cases) {
  const expected = toBinary(c.schema, c.message);
  const got = encodeBinary(c.schema, c.message);
  if (Buffer.compare(expected, got) !== 0) throw new Error(`${c.name}: the bytes differ`);
  const library = () => toBinary(c.schema, c.message);
  const wire = () => encodeBinary(c.schema, c.message);
  for (let i = 0; i < 2000; i++) {
    library();
    wire();
  }
  const lib: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < 5; round++) {
    lib.push(run(library));
    ours.push(run(wire));
  }
  const [l, o] = [median(lib), median(ours)];
  lines.push(
    `${c.name.padEnd(28)} ${String(expected.length).padStart(6)}  ${l.toFixed(2).padStart(11)}  ${o
      .toFixed(2)
      .padStart(15)}  ${(l / o).toFixed(1).padStart(7)}×`,
  );
}
console.log(lines.join('\n'));
