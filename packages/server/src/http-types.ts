import type http from 'node:http';
import type http2 from 'node:http2';

/** What both the HTTP/1.1 and the h2c server hand to request listeners. */
export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
