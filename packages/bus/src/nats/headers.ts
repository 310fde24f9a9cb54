import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/** Carries the logical id when the broker dedup key (`Nats-Msg-Id`) differs from it. */
export const messageIdHeader = 'Kith-Message-Id';
/** Set on a reply whose handler threw; the value is the error message. */
export const replyErrorHeader = 'Kith-Error';

export function toNatsHeaders(record: Record<string, string>): MsgHdrs {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(record)) h.set(key, value);
  return h;
}

/** NATS's own headers (`Nats-Msg-Id`, …) and ours are transport detail, not the message's. */
export function fromNatsHeaders(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [key, values] of h) {
    if (key.startsWith('Nats-') || key === messageIdHeader) continue;
    const value = values[values.length - 1];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
