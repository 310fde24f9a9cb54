import { create } from '@bufbuild/protobuf';
import { SubjectKind } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import { SubjectSchema } from '@kith/gen/kith/moderation/v1/types_pb.js';
import type { Subject } from '@kith/gen/kith/moderation/v1/types_pb.js';

/** A subject as the tables key it: its kind and its id (UUIDs, unique across kinds). */
export interface SubjectRef {
  kind: SubjectKind;
  id: string;
}

/** The ref of a validated Subject (its oneof is required, so it is set). */
export function refOf(subject: Subject | undefined): SubjectRef {
  const k = subject?.kind;
  switch (k?.case) {
    case 'userId':
      return { kind: SubjectKind.USER, id: k.value };
    case 'postId':
      return { kind: SubjectKind.POST, id: k.value };
    case 'circleId':
      return { kind: SubjectKind.CIRCLE, id: k.value };
    case 'incidentId':
      return { kind: SubjectKind.INCIDENT, id: k.value };
    default:
      throw new Error('a subject without a kind passed validation');
  }
}

export function subjectOf(ref: SubjectRef): Subject {
  const kind = (() => {
    switch (ref.kind) {
      case SubjectKind.USER:
        return { case: 'userId' as const, value: ref.id };
      case SubjectKind.POST:
        return { case: 'postId' as const, value: ref.id };
      case SubjectKind.CIRCLE:
        return { case: 'circleId' as const, value: ref.id };
      case SubjectKind.INCIDENT:
        return { case: 'incidentId' as const, value: ref.id };
      default:
        throw new Error(`unknown subject kind ${ref.kind}`);
    }
  })();
  return create(SubjectSchema, { kind });
}

/** "post:<id>", for logs and idempotency bindings. */
export const refKey = (ref: SubjectRef) => `${SubjectKind[ref.kind]!.toLowerCase()}:${ref.id}`;
