import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import {
  create,
  ScalarType,
  toBinary,
  type DescField,
  type DescFile,
  type DescMessage,
} from '@bufbuild/protobuf';
import {
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
  FileDescriptorProtoSchema,
  ValueSchema,
} from '@bufbuild/protobuf/wkt';
import { file_kith_circle_v1_types } from '@kith/gen/kith/circle/v1/types_pb.js';
import { encodeBinary, isPlanned } from './index.js';

const genRoot = path.resolve(import.meta.dirname, '../../../gen/kith');

/** Every Kith message type, nested ones included. */
async function kithMessages(): Promise<DescMessage[]> {
  const files: DescFile[] = [
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_wrappers,
  ];
  const sources = fs
    .readdirSync(genRoot, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('_pb.ts'))
    .sort();
  for (const source of sources) {
    const mod = (await import(path.join(genRoot, source))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (name.startsWith('file_')) files.push(value as DescFile);
    }
  }
  const all: DescMessage[] = [];
  const walk = (messages: readonly DescMessage[]) => {
    for (const m of messages) {
      all.push(m);
      walk(m.nestedMessages);
    }
  };
  for (const file of files) walk(file.messages);
  return all;
}

/** A small seeded generator, so a failure names a seed that reproduces it. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)]!;
    },
  };
}
type Random = ReturnType<typeof random>;

const strings = [
  '',
  'a',
  'circle name',
  'héllo wörld',
  'emoji 😀 and ✓',
  'lone \ud800 surrogate',
  'trailing \udc00',
  'x'.repeat(64),
  'y'.repeat(65),
  'long '.repeat(80),
  'ünïcödé '.repeat(40),
];

function scalarValue(r: Random, type: ScalarType, longAsString: boolean): unknown {
  const long = (v: bigint) => (longAsString ? v.toString() : v);
  switch (type) {
    case ScalarType.STRING:
      return r.next() < 0.3
        ? Array.from({ length: r.int(30) }, () => String.fromCharCode(32 + r.int(95))).join('')
        : r.pick(strings);
    case ScalarType.BYTES:
      return Uint8Array.from({ length: r.pick([0, 1, 5, 200]) }, () => r.int(256));
    case ScalarType.BOOL:
      return r.next() < 0.5;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return r.pick([0, 1, -1, 127, 128, -129, 2 ** 31 - 1, -(2 ** 31), r.int(2 ** 31) - 2 ** 30]);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return r.pick([0, 1, 127, 128, 16383, 16384, 2 ** 28, 2 ** 32 - 1, r.int(2 ** 32)]);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return long(
        r.pick([
          0n,
          1n,
          -1n,
          1_765_000_000n,
          2n ** 32n - 1n,
          2n ** 32n,
          2n ** 63n - 1n,
          -(2n ** 63n),
        ]),
      );
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return long(
        r.pick([0n, 1n, 127n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 64n - 1n]),
      );
    case ScalarType.FLOAT:
      return r.pick([0, -0, 1.5, -2.25, NaN, Infinity, -Infinity, 3.4e38, 1e-40]);
    case ScalarType.DOUBLE:
      return r.pick([0, -0, 1.5, Math.PI, NaN, Infinity, -Infinity, 1e308, 5e-324]);
  }
}

function fieldValue(r: Random, f: DescField, depth: number): unknown {
  const longAsString = 'longAsString' in f && f.longAsString === true;
  const enumValue = (values: readonly { number: number }[]) =>
    r.next() < 0.1 ? 99 : r.pick(values).number;
  switch (f.fieldKind) {
    case 'scalar':
      return scalarValue(r, f.scalar, longAsString);
    case 'enum':
      return enumValue(f.enum.values);
    case 'message':
      return depth > 3 ? undefined : messageInit(r, f.message, depth + 1);
    case 'list':
      return Array.from({ length: r.pick([0, 1, 3]) }, () =>
        f.listKind === 'message'
          ? create(f.message, messageInit(r, f.message, depth + 4))
          : f.listKind === 'enum'
            ? enumValue(f.enum.values)
            : scalarValue(r, f.scalar, longAsString),
      );
    case 'map': {
      const map: Record<string, unknown> = {};
      for (let i = r.pick([0, 1, 3]); i > 0; i--) {
        const key =
          f.mapKey === ScalarType.STRING
            ? r.pick(strings)
            : f.mapKey === ScalarType.BOOL
              ? String(r.next() < 0.5)
              : String(r.int(1000) - 500);
        map[key] =
          f.mapKind === 'message'
            ? create(f.message, messageInit(r, f.message, depth + 4))
            : f.mapKind === 'enum'
              ? enumValue(f.enum.values)
              : scalarValue(r, f.scalar, false);
      }
      return map;
    }
  }
}

const wrapperNames = new Set(file_google_protobuf_wrappers.messages.map((m) => m.typeName));

function messageInit(r: Random, desc: DescMessage, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const f of desc.fields) {
    if (r.next() < 0.25) continue;
    if (f.oneof) {
      if (init[f.oneof.localName] !== undefined || r.next() < 0.5) continue;
      const value = fieldValue(r, f, depth);
      if (value === undefined) continue;
      init[f.oneof.localName] = {
        case: f.localName,
        value:
          f.fieldKind === 'message' ? create(f.message, value as Record<string, unknown>) : value,
      };
      continue;
    }
    if (f.fieldKind === 'message' && wrapperNames.has(f.message.typeName)) {
      // A singular wrapper field is held as its scalar.
      const inner = f.message.fields[0] as DescField & { scalar: ScalarType };
      init[f.localName] = scalarValue(r, inner.scalar, false);
      continue;
    }
    init[f.localName] = fieldValue(r, f, depth);
  }
  return init;
}

function unknownFields(r: Random) {
  return r.next() < 0.2
    ? [
        { no: 4000, wireType: 0, data: Uint8Array.of(0x96, 0x01) },
        { no: 4001, wireType: 2, data: Uint8Array.of(3, 0x61, 0x62, 0x63) },
      ]
    : undefined;
}

describe('encodeBinary', async () => {
  const messages = await kithMessages();

  test('writes the bytes toBinary writes, for every Kith message type and random values', () => {
    assert.ok(messages.length > 300, `found ${messages.length} message types`);
    let compared = 0;
    for (const [i, desc] of messages.entries()) {
      for (let n = 0; n < 25; n++) {
        const seed = i * 1000 + n + 1;
        const r = random(seed);
        let message;
        try {
          message = create(desc, messageInit(r, desc, 0));
        } catch {
          continue; // an init create() refuses (a value outside its field's range)
        }
        const unknown = unknownFields(r);
        if (unknown) (message as { $unknown?: unknown }).$unknown = unknown;
        let expected: Uint8Array | Error;
        try {
          expected = toBinary(desc, message);
        } catch (err) {
          expected = err as Error;
        }
        if (expected instanceof Error) {
          assert.throws(() => encodeBinary(desc, message), { message: expected.message });
        } else {
          assert.deepEqual(encodeBinary(desc, message), expected, `${desc.typeName}, seed ${seed}`);
          // Into a given array full of other bytes: every one of them is written over.
          let given: Buffer | undefined;
          const into = encodeBinary(desc, message, undefined, (size) => {
            given = Buffer.alloc(size, 0xab);
            return given as Uint8Array<ArrayBuffer>;
          });
          assert.equal(into, given);
          assert.deepEqual(new Uint8Array(into), expected, `${desc.typeName} into a given array`);
          assert.deepEqual(
            encodeBinary(desc, message, { writeUnknownFields: false }),
            toBinary(desc, message, { writeUnknownFields: false }),
            `${desc.typeName} without unknown fields, seed ${seed}`,
          );
        }
        compared++;
      }
    }
    assert.ok(compared > 300 * 20);
  });

  test('plans every Kith type; a type it does not plan (proto2) is written by toBinary', () => {
    assert.deepEqual(
      messages.filter((m) => !isPlanned(m)).map((m) => m.typeName),
      [],
    );
    assert.ok(isPlanned(ValueSchema), 'a Struct inside a Value is a message like any other');
    // descriptor.proto is proto2: a real one, a Kith file's own descriptor, goes to toBinary.
    assert.equal(isPlanned(FileDescriptorProtoSchema), false);
    const proto = file_kith_circle_v1_types.proto;
    assert.deepEqual(
      encodeBinary(FileDescriptorProtoSchema, proto),
      toBinary(FileDescriptorProtoSchema, proto),
    );
  });

  test('refuses values out of range as toBinary does, naming the field', () => {
    const desc = messages.find((m) =>
      m.fields.some((f) => f.fieldKind === 'scalar' && f.scalar === ScalarType.UINT32),
    )!;
    const field = desc.fields.find(
      (f) => f.fieldKind === 'scalar' && f.scalar === ScalarType.UINT32,
    )!;
    for (const bad of [-1, 2 ** 32, 1.5]) {
      const message = create(desc);
      (message as Record<string, unknown>)[field.localName] = bad;
      assert.throws(() => toBinary(desc, message), { message: /cannot encode field/ });
      let expected = '';
      try {
        toBinary(desc, message);
      } catch (err) {
        expected = (err as Error).message;
      }
      assert.throws(() => encodeBinary(desc, message), { message: expected });
    }
  });
});
