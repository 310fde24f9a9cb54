import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { createValidator } from '@bufbuild/protovalidate';
import { ActionType } from '@kith/gen/kith/moderation/v1/types_pb.js';
import { TakeActionRequestSchema } from '@kith/gen/kith/moderation/v1/moderation_admin_pb.js';
import {
  EmergencyContactSchema,
  EscalationLadderSchema,
  EscalationTarget,
} from '@kith/gen/kith/support/v1/types_pb.js';
import {
  NotificationPreferencesSchema,
  NotificationType,
} from '@kith/gen/kith/user/v1/notification_pb.js';
import { describe, test } from 'vitest';

// The cross-field (CEL) rules the contracts v1 added, run by the same protovalidate the
// validation interceptor uses: each refuses what it must and lets the valid neighbour through.

const validator = createValidator();

function ruleIdsOf<S extends DescMessage>(schema: S, init: MessageInitShape<S>): string[] {
  const result = validator.validate(schema, create(schema, init));
  if (result.kind === 'valid') return [];
  if (result.kind === 'error') throw result.error;
  return result.violations.map((v) => v.ruleId);
}

const MINUTE = 60_000;
const UUID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const step = (afterMs: number) => ({
  after: durationFromMs(afterMs),
  target: EscalationTarget.PRIMARY_CONTACTS,
});

describe('contracts v1 cross-field rules', () => {
  test('an escalation ladder starts at once and climbs in order', () => {
    assert.deepEqual(ruleIdsOf(EscalationLadderSchema, { steps: [step(0), step(2 * MINUTE)] }), []);
    assert.deepEqual(ruleIdsOf(EscalationLadderSchema, { steps: [step(MINUTE)] }), [
      'support.ladder_starts_at_zero',
    ]);
    assert.deepEqual(
      ruleIdsOf(EscalationLadderSchema, { steps: [step(0), step(5 * MINUTE), step(MINUTE)] }),
      ['support.ladder_ordered'],
    );
  });

  test('an emergency contact needs a phone or an e-mail address', () => {
    assert.deepEqual(ruleIdsOf(EmergencyContactSchema, { name: 'Mum' }), [
      'support.contact_reachable',
    ]);
    assert.deepEqual(
      ruleIdsOf(EmergencyContactSchema, { name: 'Mum', email: 'mum@example.com' }),
      [],
    );
  });

  test('account actions need a user subject and content actions a content subject', () => {
    const action = (
      type: ActionType,
      subject: MessageInitShape<typeof TakeActionRequestSchema>['subject'],
    ) =>
      ruleIdsOf(TakeActionRequestSchema, { type, subject }).filter((id) =>
        id.startsWith('moderation.'),
      );
    assert.deepEqual(action(ActionType.SUSPEND, { kind: { case: 'postId', value: UUID } }), [
      'moderation.account_action_needs_user',
    ]);
    assert.deepEqual(action(ActionType.REMOVE_CONTENT, { kind: { case: 'userId', value: UUID } }), [
      'moderation.content_action_needs_content',
    ]);
    assert.deepEqual(action(ActionType.SUSPEND, { kind: { case: 'userId', value: UUID } }), []);
    assert.deepEqual(
      action(ActionType.REMOVE_CONTENT, { kind: { case: 'postId', value: UUID } }),
      [],
    );
  });

  test('notification preferences name each type once, and an SOS is never silenced', () => {
    const pref = (type: NotificationType) => ({ type, inApp: true, push: true });
    assert.ok(
      ruleIdsOf(NotificationPreferencesSchema, {
        perType: [pref(NotificationType.LIKE), pref(NotificationType.LIKE)],
      }).includes('user.per_type_unique'),
    );
    assert.ok(
      !ruleIdsOf(NotificationPreferencesSchema, {
        perType: [pref(NotificationType.LIKE), pref(NotificationType.FOLLOW)],
      }).includes('user.per_type_unique'),
    );
    const sos = (push: boolean) =>
      ruleIdsOf(NotificationPreferencesSchema, {
        perType: [{ type: NotificationType.SOS, inApp: true, push }],
      });
    assert.ok(sos(false).includes('user.sos_always_delivered'));
    assert.ok(!sos(true).includes('user.sos_always_delivered'));
  });
});
