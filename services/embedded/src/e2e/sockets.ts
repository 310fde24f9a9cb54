import assert from 'node:assert/strict';
import { once } from 'node:events';
import { create, fromJsonString, toJsonString } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ClientFrameSchema, ServerFrameSchema } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';
import { waitFor } from '@kith/testkit';
import { WebSocket } from 'ws';

// A raw WebSocket client of the gateway for end-to-end tests: records every frame (JSON
// encoding), sends client frames, waits for what a test expects.

export interface TestSocket {
  ws: WebSocket;
  frames: ServerFrame[];
  send(frame: MessageInitShape<typeof ClientFrameSchema>): void;
  /** The first frame (after `from`) that `match` accepts, waiting up to `timeoutMs`. */
  next(match: (f: ServerFrame) => boolean, from?: number, timeoutMs?: number): Promise<ServerFrame>;
  /** The close code once the server closed the socket; rejects if it stays open 10 s. */
  closed(): Promise<{ code: number }>;
  isOpen(): boolean;
}

/** Opens `GET /ws` on a Kith URL (http or ws) with a bearer header and waits for Hello. */
export async function openSocket(
  url: string,
  accessToken: string,
  track: WebSocket[] = [],
): Promise<TestSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  track.push(ws);
  const frames: ServerFrame[] = [];
  ws.on('message', (data: Buffer) =>
    frames.push(fromJsonString(ServerFrameSchema, data.toString('utf8'))),
  );
  let closeCode: number | undefined;
  ws.once('close', (code) => (closeCode = code));
  await once(ws, 'open');
  await waitFor(() => frames.length > 0, { what: 'hello' });
  assert.equal(frames[0]!.payload.case, 'hello');
  return {
    ws,
    frames,
    send(frame) {
      ws.send(toJsonString(ClientFrameSchema, create(ClientFrameSchema, frame)));
    },
    async next(match, from = 0, timeoutMs = 10_000) {
      let found: ServerFrame | undefined;
      await waitFor(() => (found = frames.slice(from).find(match)) !== undefined, {
        timeoutMs,
        intervalMs: 5,
        what: 'a matching frame',
      });
      return found!;
    },
    async closed() {
      await waitFor(() => closeCode !== undefined, { timeoutMs: 10_000, what: 'socket closed' });
      return { code: closeCode! };
    },
    isOpen: () => ws.readyState === WebSocket.OPEN,
  };
}

export function subscribeFrame(topic: string, requestId = 0) {
  return { requestId, frame: { case: 'subscribe' as const, value: { topic } } };
}

export function resumeFrame(cursors: { topic: string; seq: bigint }[], requestId = 0) {
  return { requestId, frame: { case: 'resume' as const, value: { cursors } } };
}
