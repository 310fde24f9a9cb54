import { create } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Envelope } from '@kith/gen/kith/events/v1/events_pb.js';
import { ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { FRAME_SCHEMA_VERSION } from '../protocol.js';
import type { Topic } from './topics.js';

/** A client-facing event payload (one of the *Event cases of ServerFrame). */
export type Payload = NonNullable<MessageInitShape<typeof ServerFrameSchema>['payload']>;

/** One frame a bus event becomes, for one topic; its seq is assigned when it is stored. */
export interface RoutedFrame {
  topic: Topic;
  frame: ServerFrame;
}

/** `circleMember` → `circle_member`: ServerFrame.type is the payload case in snake case. */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The event frame `envelope` becomes on `topic`, carrying only `payload`. */
export function frame(
  envelope: Envelope,
  topic: Topic,
  payload: Payload,
  ackRequired = false,
): RoutedFrame {
  return {
    topic,
    frame: create(ServerFrameSchema, {
      v: FRAME_SCHEMA_VERSION,
      type: snake(payload.case!),
      topic: topic.name,
      ackRequired,
      occurredAt: envelope.occurredAt,
      payload,
    }),
  };
}
