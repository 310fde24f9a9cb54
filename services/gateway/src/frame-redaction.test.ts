import assert from 'node:assert/strict';
import { test } from 'vitest';
import type { DescEnum, DescField, DescFile, DescMessage } from '@bufbuild/protobuf';
import { EnvelopeSchema } from '@kith/gen/kith/events/v1/events_pb.js';
import {
  file_kith_realtime_v1_realtime,
  IncidentResponderEventSchema,
  ServerFrameSchema,
} from '@kith/gen/kith/realtime/v1/realtime_pb.js';

// The redaction rules of proto/kith/realtime/v1/realtime.proto ("What reaches a socket"),
// checked on the descriptors: whatever ServerFrame can carry, through fields, oneofs, lists,
// maps and nested messages of any imported package, is what reaches a socket.

/** Field names that must never reach a socket, with the bus field each one stands for. */
const FORBIDDEN_FIELDS: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /(^|_)emails?($|_)/, why: 'e-mail addresses (AuthUserRegistered.email)' },
  { pattern: /key_hash/, why: 'API-key hashes (AuthApiKeyRevoked.key_hash)' },
  { pattern: /^reporter/, why: 'reporter ids (ModerationReportFiled.reporter_id)' },
  { pattern: /^silent$/, why: 'SupportEscalated.silent: reveals a duress cancel' },
  { pattern: /duress/, why: 'the duress flag, outside the responders-only message' },
  { pattern: /notified_user_ids/, why: 'who an incident alerted (SupportAlertRaised)' },
  {
    pattern: /^recipients?(_|$)/,
    why: 'recipient ids of an event (recipient_id, recipient_user_ids)',
  },
  { pattern: /moderator/, why: 'the acting moderator' },
  {
    pattern: /_by_user_id$|^acting_|^actor$/,
    why: 'acting staff or admin ids (Envelope.actor, *_by_user_id)',
  },
  { pattern: /internal_note/, why: 'moderation internal notes' },
  { pattern: /quiet_hours/, why: "members' quiet hours (MemberSafety)" },
  {
    pattern: /password|secret|(^|_)pins?$|(^|_)(access|refresh)_token$|^token$/,
    why: 'credentials',
  },
  { pattern: /(^|_)phone/, why: 'phone numbers (emergency contacts)' },
  { pattern: /ip_address|user_agent/, why: 'client network details' },
];

/** Enum values that would tell the incident owner about a duress cancel. */
const FORBIDDEN_ENUM_VALUES = /DURESS|SILENT/;

/**
 * Fields allowed despite a forbidden name, each with the rule that makes it safe. The
 * responders-only message is checked below to be reachable through its own payload case only.
 */
const ALLOWED: ReadonlyMap<string, string> = new Map([
  [
    'kith.realtime.v1.IncidentResponderEvent.duress',
    'sent on "responders:<id>" only, a topic refused to the incident owner',
  ],
]);

interface Reached {
  /** Every message type reachable, with the first field path that reaches it. */
  messages: Map<string, { desc: DescMessage; path: string }>;
  enums: Map<string, DescEnum>;
  /** Every (message, field) pair reachable, with the first path that reaches it. */
  fields: Map<string, { field: DescField; path: string }>;
  /** Every field whose value is the given message type, by message type name. */
  referencedBy: Map<string, string[]>;
}

function fieldMessage(field: DescField): DescMessage | undefined {
  switch (field.fieldKind) {
    case 'message':
      return field.message;
    case 'list':
      return field.listKind === 'message' ? field.message : undefined;
    case 'map':
      return field.mapKind === 'message' ? field.message : undefined;
    default:
      return undefined;
  }
}

function fieldEnum(field: DescField): DescEnum | undefined {
  switch (field.fieldKind) {
    case 'enum':
      return field.enum;
    case 'list':
      return field.listKind === 'enum' ? field.enum : undefined;
    case 'map':
      return field.mapKind === 'enum' ? field.enum : undefined;
    default:
      return undefined;
  }
}

/** Walks every field reachable from root (oneof members are fields too), across packages. */
function reach(root: DescMessage): Reached {
  const out: Reached = {
    messages: new Map([[root.typeName, { desc: root, path: root.name }]]),
    enums: new Map(),
    fields: new Map(),
    referencedBy: new Map(),
  };
  const queue: { desc: DescMessage; path: string }[] = [{ desc: root, path: root.name }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const field of next.desc.fields) {
      const path = `${next.path}.${field.name}`;
      const key = `${next.desc.typeName}.${field.name}`;
      if (!out.fields.has(key)) out.fields.set(key, { field, path });
      const en = fieldEnum(field);
      if (en) out.enums.set(en.typeName, en);
      const message = fieldMessage(field);
      if (!message) continue;
      out.referencedBy.set(message.typeName, [
        ...(out.referencedBy.get(message.typeName) ?? []),
        key,
      ]);
      if (out.messages.has(message.typeName)) continue;
      out.messages.set(message.typeName, { desc: message, path });
      queue.push({ desc: message, path });
    }
  }
  return out;
}

/** Every field that reaches a socket against the rules, as "path (why)". */
function leaks(reached: Reached): string[] {
  const found: string[] = [];
  for (const [key, { field, path }] of reached.fields) {
    if (ALLOWED.has(key)) continue;
    for (const { pattern, why } of FORBIDDEN_FIELDS) {
      if (pattern.test(field.name)) found.push(`${path} (${why})`);
    }
  }
  for (const en of reached.enums.values()) {
    for (const value of en.values) {
      if (FORBIDDEN_ENUM_VALUES.test(value.name)) {
        found.push(`${en.typeName}.${value.name} (tells the owner about a duress cancel)`);
      }
    }
  }
  for (const [typeName, { path }] of reached.messages) {
    if (typeName.startsWith('kith.events.v1.')) {
      found.push(`${path}: ${typeName} (bus messages never reach a socket)`);
    }
  }
  return found;
}

function transitiveDependencies(file: DescFile, seen = new Set<string>()): Set<string> {
  for (const dependency of file.dependencies) {
    if (seen.has(dependency.name)) continue;
    seen.add(dependency.name);
    transitiveDependencies(dependency, seen);
  }
  return seen;
}

const reached = reach(ServerFrameSchema);

test('no field named in the redaction table can reach a socket', () => {
  assert.deepEqual(leaks(reached), []);
});

test('the walk covers nested, imported, oneof, list and well-known types', () => {
  // A walk that stopped early would pass the test above without checking anything.
  for (const typeName of [
    'kith.realtime.v1.NotificationEvent',
    'kith.user.v1.NotificationSubject',
    'kith.realtime.v1.IncidentOpened',
    'kith.common.v1.Location',
    'kith.common.v1.GeoPoint',
    'kith.realtime.v1.TopicCursor',
    'google.protobuf.Timestamp',
  ]) {
    assert.ok(reached.messages.has(typeName), `${typeName} not reached`);
  }
  assert.ok(reached.enums.has('kith.support.v1.IncidentStatus'));
  assert.ok(reached.fields.has('kith.user.v1.NotificationSubject.incident_id'));
});

test('the checker flags the bus envelope (it would have flagged the old ServerFrame.event)', () => {
  const bus = reach(EnvelopeSchema);
  const found = leaks(bus).join('\n');
  for (const field of [
    'AuthUserRegistered.email',
    'AuthApiKeyRevoked.key_hash',
    'ModerationReportFiled.reporter_id',
    'SupportEscalated.silent',
    'SupportAlertRaised.notified_user_ids',
    'UserNotificationCreated.recipient_id',
    'Envelope.actor',
  ]) {
    const [message, name] = field.split('.');
    const paths = [...bus.fields.entries()]
      .filter(([key]) => key === `kith.events.v1.${message}.${name}`)
      .map(([, { path }]) => path);
    assert.equal(paths.length, 1, `${field} not reachable from Envelope`);
    assert.ok(found.includes(paths[0]!), `${field} not flagged`);
  }
  assert.match(found, /kith\.events\.v1\.Envelope \(bus messages never reach a socket\)/);
});

test('the duress flag is reachable only through the responders-only payload case', () => {
  assert.deepEqual(reached.referencedBy.get(IncidentResponderEventSchema.typeName), [
    'kith.realtime.v1.ServerFrame.incident_responder',
  ]);
  const duress = [...reached.fields.values()].filter(({ field }) => /duress/.test(field.name));
  assert.deepEqual(
    duress.map(({ path }) => path),
    ['ServerFrame.incident_responder.duress'],
  );
});

test('kith.realtime.v1 never imports kith.events.v1, directly or through another file', () => {
  const dependencies = [...transitiveDependencies(file_kith_realtime_v1_realtime)];
  assert.deepEqual(
    dependencies.filter((name) => name.startsWith('kith/events/')),
    [],
  );
});
