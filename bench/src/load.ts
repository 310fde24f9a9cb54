// One autocannon run of POSTs to one URL, reduced to the figures every bench prints.
import autocannon from 'autocannon';

export interface Figures {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function load(options: {
  name: string;
  url: string;
  body: string | Buffer;
  connections: number;
  duration: number;
  contentType?: string;
  /** Headers chosen per request (a fresh client address, so per-address limits stay clear). */
  perRequest?: () => Record<string, string>;
}): Promise<Figures> {
  const headers = { 'content-type': options.contentType ?? 'application/json' };
  const perRequest = options.perRequest;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        method: 'POST',
        body: options.body,
        headers,
        ...(perRequest
          ? { setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...perRequest() } }) }
          : {}),
      },
    ],
  });
  return {
    name: options.name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}
