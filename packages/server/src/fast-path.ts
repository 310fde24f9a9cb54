import { create } from '@bufbuild/protobuf';
import type {
  BinaryReadOptions,
  BinaryWriteOptions,
  DescMessage,
  DescMethodUnary,
  JsonReadOptions,
  MessageShape,
} from '@bufbuild/protobuf';
import type { JsonWriteOptions } from '@bufbuild/protobuf';
import { base64Decode } from '@bufbuild/protobuf/wire';
import { Code, ConnectError } from '@connectrpc/connect';
import type { ContextValues, Interceptor, UnaryRequest, UnaryResponse } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip } from '@connectrpc/connect-node';
import {
  compressionNegotiate,
  createMethodSerializationLookup,
  limitSerialization,
} from '@connectrpc/connect/protocol';
import type { Compression } from '@connectrpc/connect/protocol';
import { encodeBinary } from '@kith/wire';
import {
  codeToHttpStatus,
  contentTypeUnaryJson,
  contentTypeUnaryProto,
  errorToJsonBytes,
  parseContentType,
  parseTimeout,
} from '@connectrpc/connect/protocol-connect';
import { FastHandlerContext, FastUnaryRequest } from './fast-path-call.js';
import type { FastRoute } from './fast-path-routes.js';
import { LazyCallSignal } from './fast-path-signal.js';
import type { NodeRequest, NodeResponse } from './http-types.js';
import { jsonTooDeepError, unaryCheck } from './json-depth.js';

export interface FastPathOptions {
  routes: ReadonlyMap<string, FastRoute>;
  /** The adapter's interceptors; a route registered with its own replaces them. */
  interceptors: Interceptor[];
  readMaxBytes: number;
  maxJsonDepth: number;
  shutdownSignal?: AbortSignal;
  contextValues: (req: NodeRequest) => ContextValues;
  /** Called once per call the fast path takes (a metric; tests use it to prove which path ran). */
  onServe?: () => void;
  /** connect-es defaults, spelled out so both paths read the same numbers. */
  writeMaxBytes?: number;
  compressMinBytes?: number;
  maxTimeoutMs?: number;
  jsonOptions?: Partial<JsonReadOptions & JsonWriteOptions>;
  binaryOptions?: Partial<BinaryReadOptions & BinaryWriteOptions>;
}

/** Answers the request and returns true, or returns false and leaves it to the stock handler. */
export type FastPath = (req: NodeRequest, res: NodeResponse) => boolean;

type Serialization = ReturnType<typeof createMethodSerializationLookup>;
interface Served extends FastRoute {
  serialization: Serialization;
  chain: Interceptor[];
}

/** connect-node's defaults for `acceptCompression`, in its order. */
const acceptCompression: Compression[] = [compressionGzip, compressionBrotli];

/**
 * Serves unary Connect-protocol calls (POST, and GET for NO_SIDE_EFFECTS methods) over HTTP/1.1
 * without connect-es's per-call machinery: no universal request, no async iterators over the
 * body, no AbortControllers unless the signal is read. The same interceptors and the same
 * implementation run, and the response is built with connect-es's own functions (status
 * mapping, error JSON, compression negotiation, trailers as `trailer-` headers), so a client
 * cannot tell the two paths apart. Anything else is declined: streaming methods, gRPC and
 * gRPC-Web, HTTP/2, unknown content types, GET without an encoding, requests without a Host.
 */
export function createFastPath(options: FastPathOptions): FastPath {
  const readMaxBytes = options.readMaxBytes;
  const writeMaxBytes = options.writeMaxBytes ?? 0xffffffff;
  const compressMinBytes = options.compressMinBytes ?? 1024;
  const maxTimeoutMs = options.maxTimeoutMs ?? Number.MAX_SAFE_INTEGER;
  const limits = { readMaxBytes, writeMaxBytes, compressMinBytes };
  const served = new Map<string, Served>();
  // JSON answers as Buffers: a small one is a slice of node's pool, where TextEncoder makes a
  // new ArrayBuffer (a backing store of its own) for every answer. The same bytes.
  const jsonOptions = { ...options.jsonOptions, textEncoder: pooledUtf8 };
  for (const [path, route] of options.routes) {
    served.set(path, {
      ...route,
      serialization: withPlannedBinaryOutput(
        createMethodSerializationLookup(route.method, options.binaryOptions, jsonOptions, limits),
        route.method,
        options.binaryOptions,
        limits,
      ),
      chain: route.interceptors ?? options.interceptors,
    });
  }

  async function serve(
    route: Served,
    req: NodeRequest,
    res: NodeResponse,
    binary: boolean,
    query: URLSearchParams | undefined,
  ): Promise<void> {
    const isGet = query !== undefined;
    const header = webHeaders(req.headers);
    const contextValues = options.contextValues(req);
    const compressionRequested = isGet ? query.get('compression') : header.get('content-encoding');
    const timeout = parseTimeout(header.get('connect-timeout-ms'), maxTimeoutMs);
    const deadline = timeout.timeoutMs === undefined ? undefined : Date.now() + timeout.timeoutMs;
    const responseHeader = new Headers({
      'Content-Type': binary ? contentTypeUnaryProto : contentTypeUnaryJson,
    });
    const responseTrailer = new Headers();
    const call = new LazyCallSignal(deadline, req, res, options.shutdownSignal);
    const compression = compressionNegotiate(
      acceptCompression,
      compressionRequested,
      header.get('accept-encoding'),
      'Accept-Encoding',
    );
    let status = 200;
    let body: Uint8Array;
    try {
      if (compression.error) throw compression.error;
      if (timeout.error) throw timeout.error;
      let bytes = isGet
        ? queryMessage(query)
        : await readBody(
            req,
            readMaxBytes,
            header.get('content-length'),
            binary ? undefined : unaryCheck(options.maxJsonDepth, encodingOf(req), readMaxBytes),
            options.maxJsonDepth,
          );
      if (compression.request) bytes = await compression.request.decompress(bytes, readMaxBytes);
      const input = route.serialization.getI(binary).parse(bytes);
      const request = new FastUnaryRequest(input, route.method, header, contextValues, req, call);
      const timeoutMs =
        deadline === undefined ? () => undefined : (): number => deadline - Date.now();
      const innermost = async (r: UnaryRequest): Promise<UnaryResponse> => {
        const ctx = new FastHandlerContext(
          r,
          route.method,
          responseHeader,
          responseTrailer,
          timeoutMs,
        );
        return {
          stream: false,
          message: create(route.method.output, (await route.impl(r.message, ctx)) as never),
          method: route.method,
          service: route.method.parent,
          header: responseHeader,
          trailer: responseTrailer,
        };
      };
      // connect-es's applyInterceptors (not exported): the first interceptor is the outermost.
      let next = innermost as Parameters<Interceptor>[0];
      for (let i = route.chain.length - 1; i >= 0; i--) next = route.chain[i]!(next);
      const out = (await next(request)) as UnaryResponse;
      copyHeaders(out.header, responseHeader);
      copyHeaders(out.trailer, responseTrailer);
      body = route.serialization.getO(binary).serialize(out.message);
    } catch (e) {
      call.abort(e);
      const error =
        e instanceof ConnectError
          ? e
          : new ConnectError('internal error', Code.Internal, undefined, undefined, e);
      status = codeToHttpStatus(error.code);
      responseHeader.set('Content-Type', contentTypeUnaryJson);
      error.metadata.forEach((value, key) => responseHeader.set(key, value));
      body = errorToJsonBytes(error, options.jsonOptions);
    } finally {
      call.abort();
    }
    if (compression.response && body.byteLength >= compressMinBytes) {
      body = await compression.response.compress(body);
      responseHeader.set('Content-Encoding', compression.response.name);
    }
    // connect-es's trailerMux, without its copy: the response headers are not used again.
    responseTrailer.forEach((value, key) => responseHeader.append(`trailer-${key}`, value));
    responseHeader.set('Content-Length', body.byteLength.toString(10));
    res.writeHead(status, nodeHeaders(responseHeader));
    res.end(body);
  }

  return function fastPath(req, res) {
    if (req.httpVersionMajor !== 1) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const route = served.get(q < 0 ? url : url.slice(0, q));
    if (route === undefined || req.headers.host === undefined) return false;
    const contentType = req.headers['content-type'];
    let binary: boolean;
    let query: URLSearchParams | undefined;
    if (req.method === 'POST') {
      const type = parseContentType(contentType ?? null);
      if (type === undefined || type.stream) return false;
      binary = type.binary;
    } else if (req.method === 'GET' && route.get && contentType === undefined) {
      query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      const encoding = query.get('encoding');
      if (encoding !== 'proto' && encoding !== 'json') return false;
      binary = encoding === 'proto';
    } else {
      return false;
    }
    options.onServe?.();
    serve(route, req, res, binary, query).catch((err: unknown) => {
      // As connect-node: a failure to write the answer (the client went away) ends the call.
      if (ConnectError.from(err).code !== Code.Aborted) {
        console.error(
          `handler for rpc ${route.method.name} of ${route.method.parent.typeName} failed`,
          err,
        );
      }
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    return true;
  };
}

const pooledUtf8 = { encode: (text: string): Uint8Array => Buffer.from(text, 'utf8') };
/** Binary answers likewise, in a pool slice that node writes as it is (no Buffer view made). */
const pooledBytes = (size: number) => Buffer.allocUnsafe(size) as Uint8Array<ArrayBuffer>;

function encodingOf(req: NodeRequest): string {
  return String(req.headers['content-encoding'] ?? 'identity');
}

/** The message of a Connect GET: `message`, base64url when `base64=1`. */
function queryMessage(query: URLSearchParams): Uint8Array {
  const message = query.get('message') ?? '';
  return query.get('base64') === '1' ? base64Decode(message) : new TextEncoder().encode(message);
}

type DepthCheck = ReturnType<typeof unaryCheck>;

/**
 * The whole body, with connect-es's size rules (a `Content-Length` over the limit is refused
 * before reading; without one the count is checked per chunk) and the JSON depth guard the
 * stock path applies to the same chunks, in the same order: depth first, then size.
 */
function readBody(
  req: NodeRequest,
  readMaxBytes: number,
  lengthHint: string | null,
  depth: DepthCheck | undefined,
  maxDepth: number,
): Promise<Uint8Array> {
  const hint = lengthHint === null ? NaN : parseInt(lengthHint, 10);
  const known = Number.isSafeInteger(hint) && hint >= 0;
  if (known && hint > readMaxBytes) {
    return Promise.reject(
      new ConnectError(
        `message size ${hint} is larger than configured readMaxBytes ${readMaxBytes}`,
        Code.ResourceExhausted,
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let count = 0;
    let tooDeep = false;
    let failed = false;
    const fail = (err: unknown): void => {
      failed = true;
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      if (failed) return;
      if (tooDeep) {
        // Drained up to the limit like the stock guard, then refused.
        count += chunk.byteLength;
        if (count > readMaxBytes) fail(jsonTooDeepError(maxDepth));
        return;
      }
      if (depth && !depth.chunk(chunk)) {
        tooDeep = true;
        count = chunk.byteLength + count;
        if (count > readMaxBytes) fail(jsonTooDeepError(maxDepth));
        return;
      }
      count += chunk.byteLength;
      if (known && count > hint) {
        fail(
          new ConnectError(
            `protocol error: promised ${hint} bytes, received ${count}`,
            Code.InvalidArgument,
          ),
        );
        return;
      }
      if (!known && count > readMaxBytes) {
        const tooLarge = new ConnectError(
          `message size is larger than configured readMaxBytes ${readMaxBytes}`,
          Code.ResourceExhausted,
        );
        fail(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (failed) return;
      cleanup();
      if (tooDeep || (depth && !depth.end())) {
        reject(jsonTooDeepError(maxDepth));
        return;
      }
      if (known && count < hint) {
        reject(
          new ConnectError(
            `protocol error: promised ${hint} bytes, received ${count}`,
            Code.InvalidArgument,
          ),
        );
        return;
      }
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, count));
    };
    const onError = (err: Error): void => {
      if (!failed) fail(err);
    };
    // The error listener stays: a client going away mid-body must not become an uncaught error.
    function cleanup(): void {
      req.off('data', onData);
      req.off('end', onEnd);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** connect-node's nodeHeaderToWebHeader. */
function webHeaders(nodeHeaders: NodeRequest['headers']): Headers {
  const header = new Headers();
  for (const key in nodeHeaders) {
    if (key.startsWith(':')) continue;
    const value = nodeHeaders[key];
    if (value === undefined) continue;
    if (typeof value === 'string') header.append(key, value);
    else for (const v of value) header.append(key, v);
  }
  return header;
}

/** connect-node's webHeaderToNodeHeaders. */
function nodeHeaders(header: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<
    string,
    string | string[]
  >;
  header.forEach((value, key) => {
    key = key.toLowerCase();
    const existing = out[key];
    if (Array.isArray(existing)) existing.push(value);
    else if (existing === undefined) out[key] = value;
    else out[key] = [existing.toString(), value];
  });
  return out;
}

/** connect-es's copyHeaders: an interceptor may answer with other header objects. */
function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  to.forEach((_, key) => to.delete(key));
  from.forEach((value, key) => to.set(key, value));
}

/**
 * connect-es's serializers, but binary responses are written by @kith/wire's encodeBinary: the
 * same bytes as toBinary, several times faster (ADR 0025); and an empty request (no bytes in
 * binary, `{}` in JSON) is the empty message without a reader or parser run for it (what
 * fromBinary and fromJsonString give for them). Errors and limits as connect-es's.
 */
function withPlannedBinaryOutput(
  lookup: Serialization,
  method: DescMethodUnary,
  writeOptions: Partial<BinaryWriteOptions> | undefined,
  limits: { readMaxBytes: number; writeMaxBytes: number },
): Serialization {
  const output = method.output;
  type Input = Serialization['getI'] extends (b: boolean) => infer S ? S : never;
  const binaryInput = lookup.getI(true);
  const input: Input = {
    parse: (bytes) => (bytes.byteLength === 0 ? create(method.input) : binaryInput.parse(bytes)),
    serialize: (data) => binaryInput.serialize(data),
  };
  // `{}`, what clients send for a request without fields, is the empty message too.
  const jsonInput = lookup.getI(false);
  const emptyJson: Input = {
    parse: (bytes) =>
      bytes.byteLength === 2 && bytes[0] === 0x7b && bytes[1] === 0x7d
        ? create(method.input)
        : jsonInput.parse(bytes),
    serialize: (data) => jsonInput.serialize(data),
  };
  const binary = limitSerialization<MessageShape<DescMessage>>(
    {
      parse: (bytes) => lookup.getO(true).parse(bytes),
      serialize(data) {
        try {
          return encodeBinary(output, data, writeOptions, pooledBytes);
        } catch (e) {
          const m = e instanceof Error ? e.message : String(e);
          throw new ConnectError(`serialize binary: ${m}`, Code.Internal);
        }
      },
    },
    limits,
  );
  return {
    getI: (useBinary) => (useBinary ? input : emptyJson),
    getO: (useBinary) => (useBinary ? binary : lookup.getO(false)),
  };
}
