// What realtime.ts and its server processes (realtime-server.ts) say to each other.

/** The one circle every bench socket subscribes to. */
export const BENCH_CIRCLE = '01900000-0000-7000-8000-00000000c1c1';

export type ServerCommand = { broadcast: number } | { measure: true } | { stop: true };
export type ServerReply = { listening: number } | { memory: { rss: number; heapUsed: number } };
