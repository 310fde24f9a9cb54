import { create, toBinary } from '@bufbuild/protobuf';
import type { DescFile, FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import * as v1 from '@kith/gen/grpc/reflection/v1/reflection_pb.js';
import * as v1alpha from '@kith/gen/grpc/reflection/v1alpha/reflection_pb.js';

/** Descriptor sources: a FileRegistry or generated files (`file_kith_auth_v1_auth`). */
export type DescriptorSource = FileRegistry | readonly DescFile[];

/** The oneof `message_request`, identical in v1 and v1alpha apart from type names. */
type ReflectionRequest =
  | {
      case:
        'fileByFilename' | 'fileContainingSymbol' | 'allExtensionNumbersOfType' | 'listServices';
      value: string;
    }
  | { case: 'fileContainingExtension'; value: { containingType: string; extensionNumber: number } }
  | { case: undefined; value?: undefined };

type ReflectionAnswer =
  | { case: 'fileDescriptorResponse'; value: { fileDescriptorProto: Uint8Array[] } }
  | {
      case: 'allExtensionNumbersResponse';
      value: { baseTypeName: string; extensionNumber: number[] };
    }
  | { case: 'listServicesResponse'; value: { service: { name: string }[] } }
  | { case: 'errorResponse'; value: { errorCode: number; errorMessage: string } };

// gRPC status codes carried inside ErrorResponse (not Connect error codes on the stream).
const NOT_FOUND = 5;
const INVALID_ARGUMENT = 3;

/** Indexes files by name, by every symbol they declare, and extensions by extendee. */
export class ReflectionIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly extensions = new Map<string, Map<number, DescFile>>();
  private readonly encoded = new Map<string, Uint8Array>();

  constructor(
    sources: readonly DescFile[],
    private readonly serviceNames: readonly string[],
  ) {
    for (const file of sources) this.addFile(file);
  }

  private addFile(file: DescFile): void {
    if (this.files.has(file.name + '.proto')) return;
    this.files.set(file.name + '.proto', file);
    for (const dep of file.dependencies) this.addFile(dep);
    const addMessage = (msg: DescFile['messages'][number]): void => {
      this.symbols.set(msg.typeName, file);
      for (const field of msg.fields) this.symbols.set(`${msg.typeName}.${field.name}`, file);
      for (const e of msg.nestedEnums) this.symbols.set(e.typeName, file);
      for (const ext of msg.nestedExtensions) this.addExtension(file, ext);
      msg.nestedMessages.forEach(addMessage);
    };
    file.messages.forEach(addMessage);
    for (const e of file.enums) this.symbols.set(e.typeName, file);
    for (const ext of file.extensions) this.addExtension(file, ext);
    for (const svc of file.services) {
      this.symbols.set(svc.typeName, file);
      for (const m of svc.methods) this.symbols.set(`${svc.typeName}.${m.name}`, file);
    }
  }

  private addExtension(file: DescFile, ext: DescFile['extensions'][number]): void {
    this.symbols.set(ext.typeName, file);
    const byNumber = this.extensions.get(ext.extendee.typeName) ?? new Map<number, DescFile>();
    byNumber.set(ext.number, file);
    this.extensions.set(ext.extendee.typeName, byNumber);
  }

  private encode(file: DescFile): Uint8Array {
    let bytes = this.encoded.get(file.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.encoded.set(file.name, bytes);
    }
    return bytes;
  }

  /**
   * The file itself (always, as grpc-go does) and its transitive dependencies that this stream
   * has not sent yet, so a client builds its pool without receiving any file twice.
   */
  private withDependencies(file: DescFile, sent: Set<string>): ReflectionAnswer {
    const out: Uint8Array[] = [];
    const queue: DescFile[] = [file];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const current = queue.shift()!;
      if (seen.has(current.name)) continue;
      seen.add(current.name);
      if (out.length === 0 || !sent.has(current.name)) {
        out.push(this.encode(current));
        sent.add(current.name);
      }
      queue.push(...current.dependencies);
    }
    return { case: 'fileDescriptorResponse', value: { fileDescriptorProto: out } };
  }

  answer(request: ReflectionRequest, sent: Set<string>): ReflectionAnswer {
    const notFound = (what: string): ReflectionAnswer => ({
      case: 'errorResponse',
      value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` },
    });
    switch (request.case) {
      case 'listServices':
        return {
          case: 'listServicesResponse',
          value: { service: this.serviceNames.map((name) => ({ name })) },
        };
      case 'fileByFilename': {
        const file = this.files.get(request.value);
        return file ? this.withDependencies(file, sent) : notFound(`file ${request.value}`);
      }
      case 'fileContainingSymbol': {
        const file = this.symbols.get(request.value.replace(/^\./, ''));
        return file ? this.withDependencies(file, sent) : notFound(`symbol ${request.value}`);
      }
      case 'fileContainingExtension': {
        const { containingType, extensionNumber } = request.value;
        const file = this.extensions.get(containingType.replace(/^\./, ''))?.get(extensionNumber);
        return file
          ? this.withDependencies(file, sent)
          : notFound(`extension ${containingType}(${extensionNumber})`);
      }
      case 'allExtensionNumbersOfType': {
        const typeName = request.value.replace(/^\./, '');
        if (!this.symbols.has(typeName)) return notFound(`type ${typeName}`);
        const numbers = [...(this.extensions.get(typeName)?.keys() ?? [])].sort((a, b) => a - b);
        return {
          case: 'allExtensionNumbersResponse',
          value: { baseTypeName: typeName, extensionNumber: numbers },
        };
      }
      default:
        return {
          case: 'errorResponse',
          value: { errorCode: INVALID_ARGUMENT, errorMessage: 'empty request' },
        };
    }
  }
}

/** The reflection protocol's own files, registered so clients can describe the service too. */
export const reflectionFiles: readonly DescFile[] = [
  v1.file_grpc_reflection_v1_reflection,
  v1alpha.file_grpc_reflection_v1alpha_reflection,
];

export function descriptorFiles(source: DescriptorSource | undefined): DescFile[] {
  if (!source) return [];
  if ('files' in source) return [...source.files];
  return [...source];
}

/** Registers one implementation under both grpc.reflection.v1 and v1alpha. */
export function registerReflection(router: ConnectRouter, index: ReflectionIndex): void {
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const req of requests) {
        const answer = index.answer(req.messageRequest, sent);
        yield create(v1.ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answer,
        });
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      const sent = new Set<string>();
      for await (const req of requests) {
        const answer = index.answer(req.messageRequest, sent);
        yield create(v1alpha.ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answer,
        });
      }
    },
  });
}
