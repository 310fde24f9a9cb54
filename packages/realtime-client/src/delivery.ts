import type { ServerFrame } from '@kith/gen/kith/realtime/v1/realtime_pb.js';

export interface DeliveryIo {
  onFrame?: (frame: ServerFrame) => void | Promise<void>;
  onHandlerError?: (error: unknown, frame: ServerFrame) => void;
}

/**
 * Hands event frames to the application one after another, in seq order, even when onFrame is
 * async; an ack_required frame is acknowledged once onFrame is done with it (an Ack is a
 * delivery receipt: "stored and shown"), never when onFrame threw.
 */
export class Delivery {
  private readonly io: DeliveryIo;
  private queue: Promise<void> = Promise.resolve();

  constructor(io: DeliveryIo) {
    this.io = io;
  }

  /** `ack` sends the frame's Ack (on the socket it came on). */
  push(frame: ServerFrame, ack: () => void): void {
    this.queue = this.queue.then(async () => {
      try {
        await this.io.onFrame?.(frame);
      } catch (error) {
        (this.io.onHandlerError ?? reportHandlerError)(error, frame);
        return;
      }
      if (frame.ackRequired) ack();
    });
  }
}

function reportHandlerError(error: unknown, frame: ServerFrame): void {
  console.error(
    `realtime-client: onFrame failed for ${frame.topic}#${frame.seq}, not acked`,
    error,
  );
}
