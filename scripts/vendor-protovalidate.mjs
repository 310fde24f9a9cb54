#!/usr/bin/env node
// Prints buf/validate/validate.proto back from the descriptor that @bufbuild/protovalidate
// embeds in its generated code. No package ships the .proto file and `buf dep update` needs
// the network, so this is how the file under proto-vendor/ is produced (see ADR 0007).
//
//   node scripts/vendor-protovalidate.mjs > proto-vendor/buf/validate/validate.proto
//
// Options are dropped on purpose: Kith protos only need the message shapes and the
// `extend` blocks to compile; the validator reads rules with its own copy of the file.
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { isFieldSet } from '@bufbuild/protobuf';
import {
  FieldDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from '@bufbuild/protobuf/wkt';

const root = join(dirname(new URL(import.meta.url).pathname), '..');

function locatePackage() {
  // The package is a dependency of @kith/interceptors; pnpm does not hoist it to the root.
  for (const base of [root, join(root, 'packages/interceptors')]) {
    const dir = join(base, 'node_modules/@bufbuild/protovalidate');
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('@bufbuild/protovalidate not found; run pnpm install');
}

const pkgDir = locatePackage();
const modUrl = pathToFileURL(join(pkgDir, 'dist/esm/gen/buf/validate/validate_pb.js'));
const { file_buf_validate_validate: file } = await import(modUrl.href);
const fd = file.proto;

const scalarNames = {
  [Type.DOUBLE]: 'double',
  [Type.FLOAT]: 'float',
  [Type.INT64]: 'int64',
  [Type.UINT64]: 'uint64',
  [Type.INT32]: 'int32',
  [Type.FIXED64]: 'fixed64',
  [Type.FIXED32]: 'fixed32',
  [Type.BOOL]: 'bool',
  [Type.STRING]: 'string',
  [Type.BYTES]: 'bytes',
  [Type.UINT32]: 'uint32',
  [Type.SFIXED32]: 'sfixed32',
  [Type.SFIXED64]: 'sfixed64',
  [Type.SINT32]: 'sint32',
  [Type.SINT64]: 'sint64',
};
const MAX_FIELD = 536870912; // exclusive end of the field-number space ("max")
const proto2 = fd.syntax === '' || fd.syntax === 'proto2';
if (!proto2 && fd.syntax !== 'proto3') throw new Error(`unsupported syntax ${fd.syntax}`);

const out = [];
const emit = (depth, line) => out.push(line === '' ? '' : '  '.repeat(depth) + line);

function typeName(f) {
  if (f.type === Type.MESSAGE || f.type === Type.ENUM || f.type === Type.GROUP) return f.typeName;
  const name = scalarNames[f.type];
  if (!name) throw new Error(`unsupported field type ${f.type} on ${f.name}`);
  return name;
}

function defaultSuffix(f) {
  if (!f.defaultValue) return '';
  const v = f.type === Type.STRING ? JSON.stringify(f.defaultValue) : f.defaultValue;
  return ` [default = ${v}]`;
}

function fieldLine(f, msg, inOneof) {
  const mapEntry = mapEntryOf(f, msg);
  if (mapEntry) {
    const [k, v] = mapEntry.field;
    return `map<${typeName(k)}, ${typeName(v)}> ${f.name} = ${f.number};`;
  }
  let label = '';
  if (!inOneof) {
    if (f.label === Label.REPEATED) label = 'repeated ';
    else if (f.label === Label.REQUIRED) label = 'required ';
    else if (proto2 || f.proto3Optional) label = 'optional ';
  }
  return `${label}${typeName(f)} ${f.name} = ${f.number}${defaultSuffix(f)};`;
}

function mapEntryOf(f, msg) {
  if (f.type !== Type.MESSAGE || f.label !== Label.REPEATED) return undefined;
  const short = f.typeName.split('.').pop();
  return msg.nestedType.find((n) => n.name === short && n.options?.mapEntry);
}

function ranges(rs, inclusiveEnd) {
  return rs
    .map((r) => {
      const end = inclusiveEnd ? r.end : r.end - 1;
      if (r.end >= MAX_FIELD) return `${r.start} to max`;
      return end === r.start ? `${r.start}` : `${r.start} to ${end}`;
    })
    .join(', ');
}

function printEnum(e, depth) {
  emit(depth, `enum ${e.name} {`);
  for (const v of e.value) emit(depth + 1, `${v.name} = ${v.number};`);
  if (e.reservedRange.length) emit(depth + 1, `reserved ${ranges(e.reservedRange, true)};`);
  if (e.reservedName.length)
    emit(depth + 1, `reserved ${e.reservedName.map((n) => JSON.stringify(n)).join(', ')};`);
  emit(depth, '}');
}

function printExtends(exts, depth) {
  const byExtendee = new Map();
  for (const x of exts) {
    if (!byExtendee.has(x.extendee)) byExtendee.set(x.extendee, []);
    byExtendee.get(x.extendee).push(x);
  }
  for (const [extendee, list] of byExtendee) {
    emit(depth, `extend ${extendee} {`);
    for (const x of list) emit(depth + 1, fieldLine(x, { nestedType: [] }, false));
    emit(depth, '}');
  }
}

function printMessage(m, depth) {
  emit(depth, `message ${m.name} {`);
  const printedOneofs = new Set();
  for (const f of m.field) {
    const synthetic = f.proto3Optional;
    if (!synthetic && isOneofMember(f)) {
      const idx = f.oneofIndex;
      if (printedOneofs.has(idx)) continue;
      printedOneofs.add(idx);
      emit(depth + 1, `oneof ${m.oneofDecl[idx].name} {`);
      for (const g of m.field.filter(
        (g) => isOneofMember(g) && g.oneofIndex === idx && !g.proto3Optional,
      ))
        emit(depth + 2, fieldLine(g, m, true));
      emit(depth + 1, '}');
      continue;
    }
    emit(depth + 1, fieldLine(f, m, false));
  }
  for (const n of m.nestedType) if (!n.options?.mapEntry) printMessage(n, depth + 1);
  for (const e of m.enumType) printEnum(e, depth + 1);
  if (m.extension.length) printExtends(m.extension, depth + 1);
  if (m.extensionRange.length) emit(depth + 1, `extensions ${ranges(m.extensionRange, false)};`);
  if (m.reservedRange.length) emit(depth + 1, `reserved ${ranges(m.reservedRange, false)};`);
  if (m.reservedName.length)
    emit(depth + 1, `reserved ${m.reservedName.map((n) => JSON.stringify(n)).join(', ')};`);
  emit(depth, '}');
}

// oneof_index 0 is a real value and reads the same as "unset" on a proto2 message in
// protobuf-es v2, so presence is tested explicitly.
function isOneofMember(f) {
  return isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex);
}

emit(
  0,
  "// Code generated by scripts/vendor-protovalidate.mjs from @bufbuild/protovalidate's embedded",
);
emit(
  0,
  '// descriptor. DO NOT EDIT. Options and comments are dropped; field shapes and numbers are exact.',
);
emit(0, '// Upstream: https://github.com/bufbuild/protovalidate (Apache-2.0).');
emit(0, `syntax = "${proto2 ? 'proto2' : 'proto3'}";`);
emit(0, '');
emit(0, `package ${fd.package};`);
emit(0, '');
for (const d of fd.dependency) emit(0, `import "${d}";`);
for (const e of fd.enumType) {
  emit(0, '');
  printEnum(e, 0);
}
for (const m of fd.messageType) {
  emit(0, '');
  printMessage(m, 0);
}
if (fd.extension.length) {
  emit(0, '');
  printExtends(fd.extension, 0);
}
process.stdout.write(out.join('\n') + '\n');
