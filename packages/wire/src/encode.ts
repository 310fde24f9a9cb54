import {
  protoInt64,
  ScalarType,
  toBinary,
  type BinaryWriteOptions,
  type DescField,
  type DescMessage,
  type MessageShape,
} from '@bufbuild/protobuf';
import { Edition } from '@bufbuild/protobuf/wkt';

/**
 * Protobuf binary encoding planned once per message type: the bytes `toBinary` of
 * @bufbuild/protobuf writes, several times faster (ADR 0025).
 *
 * `toBinary` reflects over every message it writes (a wrapper object per nested message, a
 * fork and a chunk per length-delimited field, a TextEncoder call per string). Here a plan per
 * type lists its fields in number order with their tags already encoded; one pass measures the
 * message (the length of each nested message and string is kept, in visiting order), and a
 * second writes it into one buffer of exactly that size.
 *
 * What the plan does not cover, `toBinary` still encodes: files other than proto3, groups,
 * required fields, `google.protobuf.Struct` fields (held as plain JSON objects) and maps with
 * 64-bit keys, anywhere under the type. `wire.test.ts` compares both on every Kith message type.
 */

const VARINT = 0;
const BIT64 = 1;
const LENGTH_DELIMITED = 2;
const BIT32 = 5;

// How a field is held and written.
const SCALAR = 0; // a scalar or an enum
const MESSAGE = 1;
const WRAPPER = 2; // a singular google.protobuf.*Value field, held as its scalar
const LIST_MESSAGE = 3;
const LIST_PACKED = 4;
const LIST_SCALAR = 5; // repeated strings, bytes, or numbers not packed
const MAP = 6;
const ONEOF = 7; // the members of a oneof, next to each other in number order

interface FieldPlan {
  readonly desc: DescField;
  /** Property name, or the oneof's when `oneof` is set. */
  readonly key: string;
  readonly oneof: boolean;
  readonly kind: number;
  /** Scalar type of a scalar, enum (INT32), list item, wrapper value or map value. */
  readonly scalar: ScalarType;
  /** The field is left out when it holds its zero value (proto3 without `optional`). */
  readonly implicit: boolean;
  readonly enumZero: number | undefined;
  readonly tag: readonly number[];
  /** Nested message type (message, list of messages, map of messages). */
  message: MessagePlan | undefined;
  readonly mapKey: ScalarType;
  /** MAP: the tag of an entry's key (field 1). */
  readonly mapKeyTag: readonly number[];
  readonly mapValueIsMessage: boolean;
  /** ONEOF: its members by local name. */
  readonly cases: Map<string, FieldPlan> | undefined;
}

interface MessagePlan {
  readonly desc: DescMessage;
  readonly fields: FieldPlan[];
}

const plans = new WeakMap<DescMessage, MessagePlan | null>();

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return LENGTH_DELIMITED;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BIT64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return BIT32;
    default:
      return VARINT;
  }
}

function tagBytes(no: number, wireType: number): number[] {
  const bytes: number[] = [];
  let v = ((no << 3) | wireType) >>> 0;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return bytes;
}

const WRAPPERS = new Set([
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

function isWrapper(desc: DescMessage): boolean {
  const f = desc.fields[0];
  return (
    WRAPPERS.has(desc.typeName) &&
    f !== undefined &&
    f.fieldKind === 'scalar' &&
    f.name === 'value' &&
    f.number === 1
  );
}

function isSupported(desc: DescMessage, seen = new Set<DescMessage>()): boolean {
  if (seen.has(desc)) return true;
  seen.add(desc);
  if (desc.file.edition !== Edition.EDITION_PROTO3) return false;
  for (const f of desc.fields) {
    // LEGACY_REQUIRED (3) exists only outside proto3; checked anyway.
    if ((f.presence as number) === 3) return false;
    if ('delimitedEncoding' in f && f.delimitedEncoding) return false;
    let nested: DescMessage | undefined;
    if (f.fieldKind === 'message') nested = f.message;
    if (f.fieldKind === 'list' && f.listKind === 'message') nested = f.message;
    if (f.fieldKind === 'map') {
      switch (f.mapKey) {
        case ScalarType.INT64:
        case ScalarType.UINT64:
        case ScalarType.SINT64:
        case ScalarType.FIXED64:
        case ScalarType.SFIXED64:
          return false;
      }
      if (f.mapKind === 'message') nested = f.message;
    }
    if (
      nested?.typeName === 'google.protobuf.Struct' &&
      desc.typeName !== 'google.protobuf.Value'
    ) {
      return false;
    }
    if (nested && !isSupported(nested, seen)) return false;
  }
  return true;
}

function planFor(desc: DescMessage): MessagePlan | null {
  let plan = plans.get(desc);
  if (plan !== undefined) return plan;
  if (!isSupported(desc)) {
    plans.set(desc, null);
    return null;
  }
  plan = buildPlan(desc, new Map());
  plans.set(desc, plan);
  return plan;
}

function buildPlan(desc: DescMessage, building: Map<DescMessage, MessagePlan>): MessagePlan {
  const known = building.get(desc);
  if (known) return known;
  const fields: FieldPlan[] = [];
  const plan: MessagePlan = { desc, fields };
  building.set(desc, plan);
  for (const f of [...desc.fields].sort((a, b) => a.number - b.number)) {
    const base = {
      desc: f,
      key: f.oneof ? f.oneof.localName : f.localName,
      oneof: f.oneof !== undefined,
      implicit: f.presence === 2 /* IMPLICIT */ && !f.oneof,
      enumZero: undefined as number | undefined,
      message: undefined as MessagePlan | undefined,
      mapKey: ScalarType.STRING,
      mapKeyTag: [] as number[],
      mapValueIsMessage: false,
      cases: undefined,
    };
    switch (f.fieldKind) {
      case 'scalar':
        fields.push({
          ...base,
          kind: SCALAR,
          scalar: f.scalar,
          tag: tagBytes(f.number, wireTypeOf(f.scalar)),
        });
        break;
      case 'enum':
        fields.push({
          ...base,
          kind: SCALAR,
          scalar: ScalarType.INT32,
          enumZero: f.enum.values[0]?.number ?? 0,
          tag: tagBytes(f.number, VARINT),
        });
        break;
      case 'message': {
        if (!f.oneof && isWrapper(f.message)) {
          fields.push({
            ...base,
            kind: WRAPPER,
            scalar: (f.message.fields[0] as DescField & { scalar: ScalarType }).scalar,
            tag: tagBytes(f.number, LENGTH_DELIMITED),
            message: buildPlan(f.message, building),
          });
          break;
        }
        fields.push({
          ...base,
          kind: MESSAGE,
          scalar: ScalarType.INT32,
          tag: tagBytes(f.number, LENGTH_DELIMITED),
          message: buildPlan(f.message, building),
        });
        break;
      }
      case 'list':
        if (f.listKind === 'message') {
          fields.push({
            ...base,
            kind: LIST_MESSAGE,
            scalar: ScalarType.INT32,
            tag: tagBytes(f.number, LENGTH_DELIMITED),
            message: buildPlan(f.message, building),
          });
        } else {
          const scalar = f.listKind === 'enum' ? ScalarType.INT32 : f.scalar;
          fields.push({
            ...base,
            kind: f.packed ? LIST_PACKED : LIST_SCALAR,
            scalar,
            tag: tagBytes(f.number, f.packed ? LENGTH_DELIMITED : wireTypeOf(scalar)),
          });
        }
        break;
      case 'map': {
        const valueIsMessage = f.mapKind === 'message';
        fields.push({
          ...base,
          kind: MAP,
          scalar: valueIsMessage
            ? ScalarType.INT32
            : f.mapKind === 'enum'
              ? ScalarType.INT32
              : f.scalar,
          tag: tagBytes(f.number, LENGTH_DELIMITED),
          message: valueIsMessage ? buildPlan(f.message, building) : undefined,
          mapKey: f.mapKey,
          mapKeyTag: tagBytes(1, wireTypeOf(f.mapKey)),
          mapValueIsMessage: valueIsMessage,
        });
        break;
      }
    }
  }
  groupOneofs(plan);
  return plan;
}

/**
 * Puts the members of each oneof into one entry, so a message with many cases looks up the one
 * set instead of testing each; only where no other field's number falls between them, so the
 * order of the bytes stays that of the numbers.
 */
function groupOneofs(plan: MessagePlan): void {
  for (const oneof of plan.desc.oneofs) {
    const first = plan.fields.findIndex((f) => f.desc.oneof === oneof);
    const count = oneof.fields.length;
    const members = plan.fields.slice(first, first + count);
    if (first < 0 || !members.every((f) => f.desc.oneof === oneof)) continue;
    plan.fields.splice(first, count, {
      ...members[0]!,
      kind: ONEOF,
      cases: new Map(members.map((f) => [f.desc.localName, f])),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding state: encoding is synchronous, so one set serves every call.

/** Lengths of nested messages, packed lists, map entries and strings, in visiting order. */
let lengths: number[] = [];
let slot = 0;
const empty = new Uint8Array(0);
let out = empty;
let outBuffer: Buffer | undefined;
let pos = 0;
let writeUnknown = true;
const scratch = new DataView(new ArrayBuffer(8));

const UNSET = Symbol('unset');

function isZero(f: FieldPlan, v: unknown): boolean {
  if (f.enumZero !== undefined) return v === f.enumZero;
  switch (f.scalar) {
    case ScalarType.STRING:
      return v === '';
    case ScalarType.BOOL:
      return v === false;
    case ScalarType.BYTES:
      return v instanceof Uint8Array && !v.byteLength;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return Object.is(v, 0);
    default:
      return v == 0;
  }
}

/** The value to write, or UNSET: the field rules of `toBinary` (isSet) for proto3. */
function valueOf(f: FieldPlan, msg: Record<string, unknown>): unknown {
  const v = msg[f.key];
  if (v === undefined) return UNSET;
  if (f.oneof) {
    const o = v as { case: unknown; value: unknown };
    return o.case === f.desc.localName ? o.value : UNSET;
  }
  if (!f.implicit) return v;
  switch (f.kind) {
    case LIST_MESSAGE:
    case LIST_PACKED:
    case LIST_SCALAR:
      return (v as unknown[]).length > 0 ? v : UNSET;
    case MAP:
      return Object.keys(v as object).length > 0 ? v : UNSET;
    default:
      return isZero(f, v) ? UNSET : v;
  }
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function fail(f: FieldPlan, message: string): never {
  throw new Error(
    `cannot encode field ${f.desc.parent.typeName}.${f.desc.name} to binary: ${message}`,
  );
}

function int32Of(f: FieldPlan, value: unknown): number {
  const v = typeof value === 'string' ? Number(value) : value;
  if (typeof v !== 'number') fail(f, `invalid int32: ${typeof value}`);
  if (!Number.isInteger(v) || v > 0x7fffffff || v < -0x80000000) fail(f, `invalid int32: ${v}`);
  return v;
}

function uint32Of(f: FieldPlan, value: unknown): number {
  const v = typeof value === 'string' ? Number(value) : value;
  if (typeof v !== 'number') fail(f, `invalid uint32: ${typeof value}`);
  if (!Number.isInteger(v) || v > 0xffffffff || v < 0) fail(f, `invalid uint32: ${v}`);
  return v;
}

const FLOAT32_MAX = 3.4028234663852886e38;

function float32Of(f: FieldPlan, value: unknown): number {
  let v = value;
  if (typeof v === 'string') {
    v = Number(value);
    if (Number.isNaN(v) && value !== 'NaN') fail(f, `invalid float32: ${value}`);
  } else if (typeof v !== 'number') {
    fail(f, `invalid float32: ${typeof value}`);
  }
  const n = v as number;
  if (Number.isFinite(n) && (n > FLOAT32_MAX || n < -FLOAT32_MAX)) fail(f, `invalid float32: ${n}`);
  return n;
}

/** lo and hi 32 bits of a 64-bit value, as @bufbuild/protobuf's protoInt64 gives them. */
let lo = 0;
let hi = 0;
function split64(f: FieldPlan, value: unknown, signed: boolean): void {
  if (typeof value === 'bigint' && value >= 0n && value <= 0xffffffffn) {
    lo = Number(value) | 0;
    hi = 0;
    return;
  }
  try {
    const tc = signed
      ? protoInt64.enc(value as bigint | string | number)
      : protoInt64.uEnc(value as bigint | string | number);
    lo = tc.lo;
    hi = tc.hi;
  } catch (err) {
    fail(f, (err as Error).message);
  }
}

/** lo and hi zigzag-encoded, as sint64 is written. */
function zigzag64(): void {
  const sign = hi >> 31;
  const zlo = (lo << 1) ^ sign;
  hi = ((hi << 1) | (lo >>> 31)) ^ sign;
  lo = zlo;
}

function varint64Size(): number {
  const h = hi >>> 0;
  if (h === 0) return varintSize(lo >>> 0);
  return Math.ceil((64 - Math.clz32(h)) / 7);
}

function utf8Length(s: string): number {
  const n = s.length;
  if (n > 256) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  }
  return n;
}

/** Bytes of a scalar value without its tag; keeps a string's length. */
function sizeScalar(f: FieldPlan, type: ScalarType, v: unknown): number {
  switch (type) {
    case ScalarType.STRING: {
      const length = utf8Length(typeof v === 'string' ? v : String(v));
      lengths.push(length);
      return varintSize(length) + length;
    }
    case ScalarType.BYTES: {
      const length = (v as Uint8Array).byteLength;
      return varintSize(length) + length;
    }
    case ScalarType.BOOL:
      return 1;
    case ScalarType.INT32: {
      const n = int32Of(f, v);
      return n < 0 ? 10 : varintSize(n);
    }
    case ScalarType.SINT32: {
      const n = int32Of(f, v);
      return varintSize(((n << 1) ^ (n >> 31)) >>> 0);
    }
    case ScalarType.UINT32:
      return varintSize(uint32Of(f, v));
    case ScalarType.FIXED32:
      uint32Of(f, v);
      return 4;
    case ScalarType.SFIXED32:
      int32Of(f, v);
      return 4;
    case ScalarType.FLOAT:
      float32Of(f, v);
      return 4;
    case ScalarType.DOUBLE:
      return 8;
    case ScalarType.INT64:
      split64(f, v, true);
      return varint64Size();
    case ScalarType.UINT64:
      split64(f, v, false);
      return varint64Size();
    case ScalarType.SINT64:
      split64(f, v, true);
      zigzag64();
      return varint64Size();
    case ScalarType.FIXED64:
      split64(f, v, false);
      return 8;
    case ScalarType.SFIXED64:
      split64(f, v, true);
      return 8;
  }
}

function mapKeyOf(f: FieldPlan, key: string): unknown {
  switch (f.mapKey) {
    case ScalarType.STRING:
      return key;
    case ScalarType.BOOL:
      return key === 'true' ? true : key === 'false' ? false : key;
    default: {
      const n = Number.parseInt(key);
      return Number.isFinite(n) ? n : key;
    }
  }
}

/** Bytes of a set field with its tag(s). */
function sizeField(f: FieldPlan, v: unknown): number {
  let size = 0;
  switch (f.kind) {
    case SCALAR:
      size += f.tag.length + sizeScalar(f, f.scalar, v);
      break;
    case MESSAGE:
      size += f.tag.length + sizeNested(f.message!, v as Record<string, unknown>);
      break;
    case WRAPPER: {
      const inner = f.message!.fields[0]!;
      const at = lengths.length;
      lengths.push(0);
      const length = isZero(inner, v) ? 0 : inner.tag.length + sizeScalar(inner, f.scalar, v);
      lengths[at] = length;
      size += f.tag.length + varintSize(length) + length;
      break;
    }
    case LIST_MESSAGE:
      for (const item of v as Record<string, unknown>[]) {
        size += f.tag.length + sizeNested(f.message!, item);
      }
      break;
    case LIST_PACKED: {
      const at = lengths.length;
      lengths.push(0);
      let length = 0;
      for (const item of v as unknown[]) length += sizeScalar(f, f.scalar, item);
      lengths[at] = length;
      size += f.tag.length + varintSize(length) + length;
      break;
    }
    case LIST_SCALAR:
      for (const item of v as unknown[]) size += f.tag.length + sizeScalar(f, f.scalar, item);
      break;
    case MAP: {
      const map = v as Record<string, unknown>;
      const keyTag = f.mapKeyTag;
      for (const key of Object.keys(map)) {
        const at = lengths.length;
        lengths.push(0);
        let length = keyTag.length + sizeScalar(f, f.mapKey, mapKeyOf(f, key)) + 1;
        length += f.mapValueIsMessage
          ? sizeNested(f.message!, map[key] as Record<string, unknown>)
          : sizeScalar(f, f.scalar, map[key]);
        lengths[at] = length;
        size += f.tag.length + varintSize(length) + length;
      }
      break;
    }
  }
  return size;
}

function sizeMessage(plan: MessagePlan, msg: Record<string, unknown>): number {
  let size = 0;
  for (const f of plan.fields) {
    if (f.kind === ONEOF) {
      const o = msg[f.key] as { case: string | undefined; value: unknown } | undefined;
      const member = o?.case === undefined ? undefined : f.cases!.get(o.case);
      if (member !== undefined) size += sizeField(member, o!.value);
      continue;
    }
    const v = valueOf(f, msg);
    if (v !== UNSET) size += sizeField(f, v);
  }
  if (writeUnknown) {
    const unknown = msg.$unknown as
      { no: number; wireType: number; data: Uint8Array }[] | undefined;
    if (unknown) {
      for (const u of unknown) {
        size += varintSize(((u.no << 3) | u.wireType) >>> 0) + u.data.byteLength;
      }
    }
  }
  return size;
}

/** Length prefix and body of a nested message; keeps the body's length. */
function sizeNested(plan: MessagePlan, msg: Record<string, unknown>): number {
  const at = lengths.length;
  lengths.push(0);
  const length = sizeMessage(plan, msg);
  lengths[at] = length;
  return varintSize(length) + length;
}

// ---------------------------------------------------------------------------------------------

function writeVarint(v: number): void {
  while (v > 0x7f) {
    out[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[pos++] = v;
}

function writeTag(tag: readonly number[]): void {
  for (let i = 0; i < tag.length; i++) out[pos++] = tag[i]!;
}

/** The varint of lo and hi, as @bufbuild/protobuf's varint64write. */
function writeVarint64(): void {
  const l = lo;
  const h = hi;
  for (let i = 0; i < 28; i += 7) {
    const shift = l >>> i;
    const more = !(shift >>> 7 === 0 && h === 0);
    out[pos++] = (more ? shift | 0x80 : shift) & 0xff;
    if (!more) return;
  }
  const split = ((l >>> 28) & 0x0f) | ((h & 0x07) << 4);
  const moreBits = !(h >> 3 === 0);
  out[pos++] = (moreBits ? split | 0x80 : split) & 0xff;
  if (!moreBits) return;
  for (let i = 3; i < 31; i += 7) {
    const shift = h >>> i;
    const more = !(shift >>> 7 === 0);
    out[pos++] = (more ? shift | 0x80 : shift) & 0xff;
    if (!more) return;
  }
  out[pos++] = (h >>> 31) & 0x01;
}

function writeFixed32(v: number): void {
  out[pos++] = v & 0xff;
  out[pos++] = (v >>> 8) & 0xff;
  out[pos++] = (v >>> 16) & 0xff;
  out[pos++] = (v >>> 24) & 0xff;
}

function writeScratch(n: number): void {
  for (let i = 0; i < n; i++) out[pos++] = scratch.getUint8(i);
}

function writeString(s: string): void {
  const length = lengths[slot++]!;
  writeVarint(length);
  if (length === s.length && length <= 64) {
    for (let i = 0; i < length; i++) out[pos++] = s.charCodeAt(i);
  } else {
    outBuffer ??= Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    outBuffer.write(s, pos, length, 'utf8');
    pos += length;
  }
}

function writeScalar(f: FieldPlan, type: ScalarType, v: unknown): void {
  switch (type) {
    case ScalarType.STRING:
      writeString(typeof v === 'string' ? v : String(v));
      return;
    case ScalarType.BYTES: {
      const bytes = v as Uint8Array;
      writeVarint(bytes.byteLength);
      out.set(bytes, pos);
      pos += bytes.byteLength;
      return;
    }
    case ScalarType.BOOL:
      out[pos++] = v ? 1 : 0;
      return;
    case ScalarType.INT32: {
      let n = Number(v);
      if (n >= 0) {
        writeVarint(n);
      } else {
        for (let i = 0; i < 9; i++) {
          out[pos++] = (n & 127) | 128;
          n = n >> 7;
        }
        out[pos++] = 1;
      }
      return;
    }
    case ScalarType.SINT32: {
      const n = Number(v);
      writeVarint(((n << 1) ^ (n >> 31)) >>> 0);
      return;
    }
    case ScalarType.UINT32:
      writeVarint(Number(v));
      return;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      writeFixed32(Number(v));
      return;
    case ScalarType.FLOAT:
      scratch.setFloat32(0, Number(v), true);
      writeScratch(4);
      return;
    case ScalarType.DOUBLE:
      scratch.setFloat64(0, v as number, true);
      writeScratch(8);
      return;
    case ScalarType.INT64:
      split64(f, v, true);
      writeVarint64();
      return;
    case ScalarType.UINT64:
      split64(f, v, false);
      writeVarint64();
      return;
    case ScalarType.SINT64:
      split64(f, v, true);
      zigzag64();
      writeVarint64();
      return;
    case ScalarType.FIXED64:
      split64(f, v, false);
      writeFixed32(lo);
      writeFixed32(hi);
      return;
    case ScalarType.SFIXED64:
      split64(f, v, true);
      writeFixed32(lo);
      writeFixed32(hi);
      return;
  }
}

/** A set field with its tag(s). */
function writeField(f: FieldPlan, v: unknown): void {
  switch (f.kind) {
    case SCALAR:
      writeTag(f.tag);
      writeScalar(f, f.scalar, v);
      break;
    case MESSAGE:
      writeTag(f.tag);
      writeNested(f.message!, v as Record<string, unknown>);
      break;
    case WRAPPER: {
      const inner = f.message!.fields[0]!;
      writeTag(f.tag);
      writeVarint(lengths[slot++]!);
      if (!isZero(inner, v)) {
        writeTag(inner.tag);
        writeScalar(inner, f.scalar, v);
      }
      break;
    }
    case LIST_MESSAGE:
      for (const item of v as Record<string, unknown>[]) {
        writeTag(f.tag);
        writeNested(f.message!, item);
      }
      break;
    case LIST_PACKED:
      writeTag(f.tag);
      writeVarint(lengths[slot++]!);
      for (const item of v as unknown[]) writeScalar(f, f.scalar, item);
      break;
    case LIST_SCALAR:
      for (const item of v as unknown[]) {
        writeTag(f.tag);
        writeScalar(f, f.scalar, item);
      }
      break;
    case MAP: {
      const map = v as Record<string, unknown>;
      const keyTag = f.mapKeyTag;
      const valueTag = f.mapValueIsMessage ? 0x12 : (2 << 3) | wireTypeOf(f.scalar);
      for (const key of Object.keys(map)) {
        writeTag(f.tag);
        writeVarint(lengths[slot++]!);
        writeTag(keyTag);
        writeScalar(f, f.mapKey, mapKeyOf(f, key));
        out[pos++] = valueTag;
        if (f.mapValueIsMessage) writeNested(f.message!, map[key] as Record<string, unknown>);
        else writeScalar(f, f.scalar, map[key]);
      }
      break;
    }
  }
}

function writeMessage(plan: MessagePlan, msg: Record<string, unknown>): void {
  for (const f of plan.fields) {
    if (f.kind === ONEOF) {
      const o = msg[f.key] as { case: string | undefined; value: unknown } | undefined;
      const member = o?.case === undefined ? undefined : f.cases!.get(o.case);
      if (member !== undefined) writeField(member, o!.value);
      continue;
    }
    const v = valueOf(f, msg);
    if (v !== UNSET) writeField(f, v);
  }
  if (writeUnknown) {
    const unknown = msg.$unknown as
      { no: number; wireType: number; data: Uint8Array }[] | undefined;
    if (unknown) {
      for (const u of unknown) {
        writeVarint(((u.no << 3) | u.wireType) >>> 0);
        out.set(u.data, pos);
        pos += u.data.byteLength;
      }
    }
  }
}

function writeNested(plan: MessagePlan, msg: Record<string, unknown>): void {
  writeVarint(lengths[slot++]!);
  writeMessage(plan, msg);
}

/**
 * The binary encoding of `message`, byte for byte what `toBinary(schema, message, options)`
 * writes, and its errors for values out of range. `allocate` gives the array to write into
 * (every byte of it is written): `Buffer.allocUnsafe` hands out a slice of node's pool instead
 * of a new ArrayBuffer, for an answer node writes to a socket as it is.
 */
export function encodeBinary<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  options?: Partial<BinaryWriteOptions>,
  allocate?: (size: number) => Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const plan = planFor(schema);
  if (plan === null) return toBinary(schema, message, options) as Uint8Array<ArrayBuffer>;
  const msg = message as unknown as Record<string, unknown>;
  writeUnknown = options?.writeUnknownFields ?? true;
  lengths = [];
  slot = 0;
  const size = sizeMessage(plan, msg);
  const bytes = allocate === undefined ? new Uint8Array(size) : allocate(size);
  if (bytes.byteLength !== size)
    throw new RangeError(`allocate(${size}) gave ${bytes.byteLength} bytes`);
  out = bytes;
  outBuffer = Buffer.isBuffer(bytes) ? bytes : undefined;
  pos = 0;
  try {
    writeMessage(plan, msg);
  } finally {
    out = empty;
    outBuffer = undefined;
    lengths = [];
  }
  if (pos !== size) {
    // A value changed between measuring and writing (a getter): never hand out a torn buffer.
    throw new Error(`encodeBinary(${schema.typeName}): wrote ${pos} of ${size} bytes`);
  }
  return bytes;
}

/** Whether `encodeBinary` plans `schema` itself rather than handing it to `toBinary`. */
export function isPlanned(schema: DescMessage): boolean {
  return planFor(schema) !== null;
}
