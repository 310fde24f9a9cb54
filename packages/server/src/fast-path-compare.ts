// Test support for the fast-path comparison suites: raw HTTP/1.1 calls whose answers can be
// compared byte for byte (status, header lines in order, body), bar two clock readings.
import assert from 'node:assert/strict';
import http from 'node:http';
import { toBinary } from '@bufbuild/protobuf';
import { CompareRequestSchema } from './fast-path-test-service.js';

export const MAX_BODY = 4096;
export const SVC = '/kith.test.v1.CompareService';

export interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** Send the body in pieces without Content-Length (chunked). */
  chunked?: boolean;
}

export type Answer = { status: number; headers: string[]; body: string } | { failed: string };

export function send(base: string, req: Sent): Promise<Answer> {
  return new Promise((resolve) => {
    const url = new URL(req.path, base);
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : Buffer.from(req.body ?? []);
    const headers: Record<string, string> = {
      'x-request-id': 'compare-0001',
      ...req.headers,
      ...(req.chunked || req.method === 'GET' ? {} : { 'content-length': String(body.length) }),
    };
    const out = http.request(
      url,
      { method: req.method ?? 'POST', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const list: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i]!.toLowerCase();
            let value = res.rawHeaders[i + 1]!;
            if (name === 'date') continue;
            if (name === 'ratelimit') value = value.replace(/;t=\d+/g, ';t=T');
            list.push(`${name}: ${value}`);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: list,
            body: Buffer.concat(chunks).toString('base64'),
          });
        });
        res.on('error', (err) => resolve({ failed: err.message }));
      },
    );
    out.on('error', (err) =>
      resolve({ failed: (err as NodeJS.ErrnoException).code ?? err.message }),
    );
    if (req.chunked) {
      for (let at = 0; at < body.length; at += 1000) out.write(body.subarray(at, at + 1000));
    } else if (body.length > 0) {
      out.write(body);
    }
    out.end();
  });
}

export function json(text: string): string {
  return JSON.stringify({ text });
}

export function binary(text: string): Uint8Array {
  return toBinary(CompareRequestSchema, { $typeName: 'kith.test.v1.CompareRequest', text });
}

export const asJson = { 'content-type': 'application/json' };
export const asProto = { 'content-type': 'application/proto' };

export function decoded(answer: Answer): {
  status: number;
  body: unknown;
  header: (n: string) => string[];
} {
  assert.ok('status' in answer, `request failed: ${JSON.stringify(answer)}`);
  const text = Buffer.from(answer.body, 'base64').toString();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // binary
  }
  return {
    status: answer.status,
    body,
    header: (n) =>
      answer.headers.filter((h) => h.startsWith(`${n}: `)).map((h) => h.slice(n.length + 2)),
  };
}
